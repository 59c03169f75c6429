import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { batchTopic } from "@tributary/shared/topics";
import { encodeBatch } from "@tributary/shared/wire";
import mqtt from "mqtt";
import { parseHubConfig } from "./config.ts";
import { Hub } from "./hub.ts";
import { makeBatch, seqRange } from "./testing/batches.ts";

const log = createLogger({ sink: () => {} });

async function post(url: string, sql: string): Promise<{ rows: unknown[][] }> {
  const response = await fetch(`${url}/api/v1/query`, {
    method: "POST",
    body: JSON.stringify({ sql }),
  });
  return await response.json();
}

Deno.test("Hub runs store, embedded broker, consumer and HTTP together, and stops them all", async () => {
  const dir = await Deno.makeTempDir();
  const config = parseHubConfig(
    `[hub]\ndata_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"`,
    { env: () => undefined },
  );
  const hub = new Hub(config, { log });
  try {
    const endpoints = await hub.start();
    assertMatch(endpoints.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    assertMatch(endpoints.mqtt, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const client = await mqtt.connectAsync(endpoints.mqtt, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const batch = makeBatch("quotes", { seqs: seqRange(1n, 50n), agent: "edge-9" });
    await client.publishAsync(batchTopic("edge-9", "quotes"), Buffer.from(encodeBatch(batch)), {
      qos: 1,
    });
    await client.endAsync();
    let rows: unknown[][] = [];
    for (let i = 0; i < 100 && rows[0]?.[0] !== 50; i++) {
      rows = (await post(endpoints.http, "SELECT count(*) FROM quotes")).rows;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assertEquals(rows, [[50]]);
    const agents = await (await fetch(`${endpoints.http}/api/v1/agents`)).json();
    assertEquals(agents.agents[0].streams.quotes, { rows: 50, batches: 1, last_seq: 50 });
  } finally {
    await hub.stop();
    await hub.stop();
    await new Promise((resolve) => setTimeout(resolve, 5)); // MQTT.js store close timer
  }
  // The DuckDB file is closed: it can be opened again.
  const again = new Hub(
    parseHubConfig(
      `[hub]\ndata_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"`,
      { env: () => undefined },
    ),
    { log },
  );
  try {
    const { http } = await again.start();
    assertEquals((await post(http, "SELECT count(*) FROM quotes")).rows, [[50]]);
  } finally {
    await again.stop();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Hub.start fails cleanly when the HTTP port is taken, leaving nothing running", async () => {
  const dir = await Deno.makeTempDir();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const config = parseHubConfig(
    `[hub]\ndata_dir = "${dir}"\n[http]\nlisten = "127.0.0.1:${taken.addr.port}"\n` +
      `[broker]\nlisten = "127.0.0.1:0"`,
    { env: () => undefined },
  );
  const hub = new Hub(config, { log });
  let failed = false;
  try {
    await hub.start();
  } catch (error) {
    failed = error instanceof Deno.errors.AddrInUse;
  } finally {
    taken.close();
    await hub.stop();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(failed, true);
});

Deno.test("Hub.stop is safe before start", async () => {
  await new Hub(parseHubConfig("", { env: () => undefined }), { log }).stop();
});
