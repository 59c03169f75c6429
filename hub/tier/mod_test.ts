import { assertEquals } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { defaultTierConfig } from "./config.ts";
import { duckdbTierDirectories, tierDirectories, TierService } from "./mod.ts";

Deno.test("tierDirectories defaults under data_dir, absolute, with a trailing slash", () => {
  const config = defaultTierConfig();
  const dirs = tierDirectories(config, "/data/hub");
  assertEquals(dirs, {
    work: "/data/hub/tier-work/",
    cache: "/data/hub/tier-cache/",
    local: "/data/hub/cold/",
  });
  config.cache_dir = "/fast/cache";
  assertEquals(duckdbTierDirectories(config, "/data/hub"), [
    "/data/hub/tier-work/",
    "/fast/cache/",
  ]);
});

Deno.test("TierService.stop is safe before start and idempotent", async () => {
  const service = new TierService({
    config: defaultTierConfig(),
    dataDir: "/nonexistent",
    database: { connect: () => Promise.reject(new Error("unused")) },
    log: createLogger({ sink: () => {} }),
  });
  await service.stop();
  await service.stop();
});
