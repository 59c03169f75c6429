import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { insertSyntheticRows } from "./synthetic_rows.ts";
import { listObjects } from "./catalog.ts";
import { LocalObjectStore } from "./local_object_store.ts";
import { openTierTestEnv, SECOND, T0 } from "./_test_env.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";
import { createLogger } from "@tributary/shared/log";
import { Tierer } from "./tierer.ts";

const HOUR = 3600n * SECOND;
const DAY = 24n * HOUR;

async function count(env: Awaited<ReturnType<typeof openTierTestEnv>>, sql: string) {
  return Number((await env.query(sql))[0]![0]);
}

async function hotCount(env: Awaited<ReturnType<typeof openTierTestEnv>>, kind: string) {
  const connection = await env.store.connect();
  try {
    return Number(
      (await connection.runAndReadAll(`SELECT count(*) FROM ${kind}`)).getRows()[0]![0],
    );
  } finally {
    connection.closeSync();
  }
}

async function fill(env: Awaited<ReturnType<typeof openTierTestEnv>>, hours: number) {
  const connection = await env.store.connect();
  try {
    // One reading every 10 s for `hours` hours from T0: 360 rows per hour.
    return await insertSyntheticRows(connection, "readings", {
      fromNs: T0,
      rows: hours * 360,
      stepNs: 10n * SECOND,
      series: 6,
    });
  } finally {
    connection.closeSync();
  }
}

Deno.test("Tierer moves whole hours older than hot_retention, and queries see every row once", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 86_400;
      c.compact_below_bytes = 0;
    },
  });
  try {
    const total = await fill(env, 30);
    const before = await env.query(
      "SELECT sensor, count(*), round(sum(value), 6) FROM readings GROUP BY sensor ORDER BY sensor",
    );
    env.setNow(T0 + DAY + 5n * HOUR + 30n * 60n * SECOND); // cutoff = T0 + 5h
    const report = await env.tier.runPass();
    assertEquals(report.errors, []);
    assertEquals(report.rowsTiered, 5 * 360);
    assertEquals(report.objectsWritten, 5);
    assertEquals(await hotCount(env, "readings"), total - 5 * 360);
    const connection = await env.store.connect();
    const objects = await listObjects(connection, { kinds: ["readings"] });
    connection.closeSync();
    assertEquals(objects.length, 5);
    assert(objects.every((o) => o.partition === "kind=readings/date=2026-11-18/"));
    assert(objects.every((o) => o.rowCount === 360 && o.maxTs < T0 + 5n * HOUR));
    // Hot and cold together give exactly the rows and values of before.
    assertEquals(
      await env.query(
        "SELECT sensor, count(*), round(sum(value), 6) FROM readings GROUP BY sensor ORDER BY sensor",
      ),
      before,
    );
    assertEquals(await count(env, "SELECT count(DISTINCT ts) FROM readings"), total);
    // A second pass at the same time finds nothing more to move.
    assertEquals((await env.tier.runPass()).rowsTiered, 0);
  } finally {
    await env.close();
  }
});

Deno.test("Tierer leaves rows hot when the step fails after upload, and deletes the orphan next pass", async () => {
  let failNext = true;
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
      c.compact_below_bytes = 0;
    },
    faults: {
      afterUpload: () => {
        if (failNext) {
          failNext = false;
          throw new Error("injected failure after upload");
        }
      },
    },
  });
  try {
    const total = await fill(env, 3);
    env.setNow(T0 + 3n * HOUR); // cutoff T0 + 2h: two windows
    const first = await env.tier.runPass();
    assertEquals(first.errors.length, 1);
    assert(first.errors[0]!.includes("injected failure"));
    // Nothing was lost: every row is still there exactly once.
    assertEquals(await count(env, "SELECT count(*) FROM readings"), total);
    const local = new LocalObjectStore(env.tier.directories.local);
    // The failed window's object was deleted at the end of the pass (pending, not in the catalog).
    const connection = await env.store.connect();
    const catalogued = (await listObjects(connection)).map((o) => o.key).sort();
    connection.closeSync();
    assertEquals((await local.list("")).map((o) => o.key).sort(), catalogued);
    const second = await env.tier.runPass();
    assertEquals(second.errors, []);
    assertEquals(await hotCount(env, "readings"), total - 2 * 360);
    assertEquals(await count(env, "SELECT count(*) FROM readings"), total);
    assertEquals((await local.list("")).length, 2);
  } finally {
    await env.close();
  }
});

Deno.test("Tierer puts late rows of a tiered hour in a new object, and compaction merges them", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
      c.kinds.readings.partition = "hour";
    },
  });
  try {
    const total = await fill(env, 2);
    env.setNow(T0 + 3n * HOUR);
    // Compaction is on (32 MiB threshold) but each hour has one object so far.
    assertEquals((await env.tier.runPass()).objectsWritten, 2);
    const connection = await env.store.connect();
    // Late rows for hour 0 arrive after it was tiered.
    await insertSyntheticRows(connection, "readings", {
      fromNs: T0 + 5n * SECOND,
      rows: 50,
      stepNs: 10n * SECOND,
      agent: "late-agent",
    });
    const report = await env.tier.runPass();
    assertEquals(report.rowsTiered, 50);
    assertEquals(report.objectsCompacted, 2); // the hour's two objects became one
    const objects = await listObjects(connection, { kinds: ["readings"] });
    connection.closeSync();
    assertEquals(objects.length, 2);
    assert(objects.some((o) => o.key.includes("/hour=00/compact-") && o.rowCount === 410));
    assertEquals(await count(env, "SELECT count(*) FROM readings"), total + 50);
    assertEquals(await count(env, "SELECT count(*) FROM readings WHERE agent = 'late-agent'"), 50);
    const local = new LocalObjectStore(env.tier.directories.local);
    assertEquals((await local.list("kind=readings/")).length, 2);
  } finally {
    await env.close();
  }
});

Deno.test("Tierer cold retention deletes or archives objects older than cold_retention_days", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
      c.kinds.readings.cold_retention_days = 2;
      c.kinds.trades.hot_retention_s = 3600;
      c.kinds.trades.cold_retention_days = 2;
      c.kinds.trades.cold_action = "archive";
      c.compact_below_bytes = 0;
    },
  });
  try {
    await fill(env, 1);
    const connection = await env.store.connect();
    await insertSyntheticRows(connection, "trades", { fromNs: T0, rows: 100, stepNs: SECOND });
    env.setNow(T0 + 2n * HOUR);
    await env.tier.runPass();
    assertEquals(await count(env, "SELECT count(*) FROM readings"), 360);
    assertEquals(await count(env, "SELECT count(*) FROM trades"), 100);
    env.setNow(T0 + 3n * DAY);
    const report = await env.tier.runPass();
    assertEquals(report.objectsExpired, 2);
    assertEquals(await count(env, "SELECT count(*) FROM readings"), 0);
    assertEquals(await count(env, "SELECT count(*) FROM trades"), 0);
    const local = new LocalObjectStore(env.tier.directories.local);
    assertEquals((await local.list("kind=readings/")).length, 0);
    const archived = await listObjects(connection, { kinds: ["trades"] });
    connection.closeSync();
    assertEquals(archived.map((o) => o.storageClass), ["GLACIER"]);
    assertEquals((await local.head(archived[0]!.key))?.storageClass, "ARCHIVE");
  } finally {
    await env.close();
  }
});

Deno.test("the hub's DuckDB reads the tier folders but still refuses other files", async () => {
  const env = await openTierTestEnv();
  try {
    const connection = await env.store.connect();
    try {
      await assertRejects(() => connection.run("SELECT * FROM read_csv('/etc/passwd')"));
      await assertRejects(() =>
        connection.run(`SELECT * FROM read_csv('${env.tier.directories.cache}../hub.duckdb')`)
      );
      await assertRejects(() => connection.run("SET allowed_directories = ['/etc/']"));
    } finally {
      connection.closeSync();
    }
  } finally {
    await env.close();
  }
});

Deno.test("Tierer passes running during ingest of late rows lose and duplicate nothing", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
    },
  });
  try {
    env.setNow(T0 + 3n * HOUR);
    const batches = 40;
    const ingest = (async () => {
      for (let i = 0; i < batches; i++) {
        const first = BigInt(i * 100 + 1);
        // ts = T0 + seq µs: every row belongs to hour 0, already older than the cutoff.
        await env.store.ingest(
          makeBatch("readings", { seqs: seqRange(first, first + 99n), baseTs: T0 }),
          1000,
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    let passes = 0;
    let done = false;
    ingest.finally(() => done = true);
    while (!done || passes < 2) {
      const report = await env.tier.runPass();
      assertEquals(report.errors, []);
      passes++;
    }
    await ingest;
    await env.tier.runPass();
    assertEquals(await count(env, "SELECT count(*) FROM readings"), batches * 100);
    assertEquals(await count(env, "SELECT count(DISTINCT ts) FROM readings"), batches * 100);
    assertEquals(await hotCount(env, "readings"), 0);
  } finally {
    await env.close();
  }
});

Deno.test("Tierer.init removes work files an interrupted pass left, and nothing else", async () => {
  const env = await openTierTestEnv();
  try {
    const work = env.tier.directories.work;
    const leftover = `${work}${crypto.randomUUID()}.parquet`;
    const compactDir = `${work}compact-${crypto.randomUUID()}`;
    const other = `${work}notes.txt`;
    await Deno.writeTextFile(leftover, "x");
    await Deno.mkdir(compactDir);
    await Deno.writeTextFile(other, "keep");
    const connection = await env.store.connect();
    try {
      await new Tierer({
        connection,
        store: new LocalObjectStore(env.tier.directories.local),
        config: env.config,
        workDir: work,
        log: createLogger({ sink: () => {} }),
      }).init();
    } finally {
      connection.closeSync();
    }
    const names = (await Array.fromAsync(Deno.readDir(work))).map((e) => e.name);
    assertEquals(names, ["notes.txt"]);
  } finally {
    await env.close();
  }
});
