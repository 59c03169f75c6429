/**
 * The tier inside a running hub: old rows already in the hub's DuckDB file
 * move to the local cold folder on the tierer's schedule, and `/api/v1/query`
 * keeps answering over hot and cold with the same result.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { nowNs } from "@tributary/shared/records";
import { parseHubConfig } from "../../hub/config.ts";
import { Hub, HUB_DB_FILE } from "../../hub/hub.ts";
import { HotStore } from "../../hub/store/hot_store.ts";
import { insertSyntheticRows } from "../../hub/tier/synthetic_rows.ts";
import { LocalObjectStore } from "../../hub/tier/local_object_store.ts";
import { waitFor } from "../harness/wait_for.ts";

const HOUR = 3_600_000_000_000n;

async function query(http: string, sql: string): Promise<unknown[][]> {
  const response = await fetch(`${http}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql }),
  });
  const body = await response.json();
  if (response.status !== 200) {
    throw new Error(`${sql}: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.rows;
}

Deno.test("a running hub tiers old rows on schedule and /api/v1/query spans hot and cold", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-tier-hub-" });
  const dataDir = join(dir, "data");
  await Deno.mkdir(dataDir, { recursive: true });
  // Rows from 6 hours ago up to now, written before the hub starts.
  const start = (nowNs() / HOUR - 6n) * HOUR;
  const seed = await HotStore.open({ path: join(dataDir, HUB_DB_FILE) });
  const connection = await seed.connect();
  await insertSyntheticRows(connection, "trades", {
    fromNs: start,
    rows: 6 * 600,
    stepNs: 6_000_000_000n,
    series: 3,
  });
  connection.closeSync();
  await seed.close();

  const config = parseHubConfig(
    [
      `[hub]\ndata_dir = "${dataDir}"`,
      `[http]\nlisten = "127.0.0.1:0"`,
      `[broker]\nlisten = "127.0.0.1:0"`,
      `[tier]\ninterval_s = 1`,
      `[tier.trades]\nhot_retention_s = 7200`,
    ].join("\n"),
    { env: () => undefined },
  );
  const hub = new Hub(config, { log: createLogger({ sink: () => {} }) });
  try {
    const { http } = await hub.start();
    const sql =
      "SELECT symbol, count(*), round(sum(price * size), 4) FROM trades GROUP BY 1 ORDER BY 1";
    const before = await query(http, sql);
    // The four whole hours older than two hours leave the hot table on the first passes
    // (the cutoff is the start of the hour two hours ago: start + 4 h; + 5 h should the
    // clock pass an hour meanwhile).
    let hot = 0;
    await waitFor(async () => {
      [[hot]] = await query(http, "SELECT count(*) FROM hub.main.trades") as [[number]];
      return hot <= 2 * 600;
    }, { timeoutMs: 30_000 });
    const [[objects, rows]] = await query(
      http,
      "SELECT count(*), sum(row_count) FROM tier_objects WHERE kind = 'trades'",
    ) as [[number, number]];
    assert(objects >= 1, `${objects} objects`);
    assertEquals(rows + hot, 6 * 600);
    assertEquals(await query(http, sql), before);
    const local = new LocalObjectStore(join(dataDir, "cold"));
    const keys = (await local.list("kind=trades/")).map((o) => o.key);
    assert(keys.length >= 1 && keys.every((k) => /^kind=trades\/date=\d{4}-\d\d-\d\d\//.test(k)));
    // User SQL still cannot read files outside the tier's folders.
    const refused = await fetch(`${http}/api/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql: "SELECT * FROM read_csv('/etc/passwd')" }),
    });
    assertEquals(refused.status, 400);
    await refused.body?.cancel();
    const metrics = await (await fetch(`${http}/metrics`)).text();
    assert(/tributary_hub_tier_rows_total\{kind="trades"\} \d+/.test(metrics));
  } finally {
    await hub.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
