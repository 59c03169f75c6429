import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { tableFromIPC } from "apache-arrow";
import type { Batch } from "@tributary/shared/records";
import { createRandom } from "@tributary/shared/prng";
import { type ApiFixture, withApi } from "../testing/api_fixture.ts";

/** Temperature of s1 at 00:00:00, :30, 01:00, 01:30 (values 1, 2, 3, 4), humidity 50 at :10; s2 too. */
async function arrange({ exec }: ApiFixture) {
  await exec(`INSERT INTO readings BY NAME
    SELECT ts, ts AS recv_ts, agent, sensor, metric, value, 'degC' AS unit, '{}' AS tags,
           ts AS ingested_at
    FROM (VALUES
      (TIMESTAMP_NS '2024-05-01 00:00:00', 'edge-1', 's1', 'temperature', 1.0),
      (TIMESTAMP_NS '2024-05-01 00:00:30', 'edge-1', 's1', 'temperature', 2.0),
      (TIMESTAMP_NS '2024-05-01 00:01:00', 'edge-1', 's1', 'temperature', 3.0),
      (TIMESTAMP_NS '2024-05-01 00:01:30', 'edge-1', 's1', 'temperature', 4.0),
      (TIMESTAMP_NS '2024-05-01 00:00:10', 'edge-1', 's1', 'humidity', 50.0),
      (TIMESTAMP_NS '2024-05-01 00:00:10', 'edge-2', 's2', 'temperature', 99.0)
    ) v(ts, agent, sensor, metric, value)`);
}

// Rows inserted by SQL bypass the rollups, so these tests read raw readings.
const RANGE = "from=2024-05-01T00:00:00Z&to=2024-05-01T00:02:00Z&source=raw";

Deno.test("GET /api/v1/series buckets one sensor's metric by step with the aggregate", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const body = await (await fixture.call(
      `/api/v1/series?sensor=s1&metric=temperature&${RANGE}&step=1m&aggregate=avg`,
      "reader",
    )).json();
    assertEquals([body.sensor, body.metric, body.aggregate, body.step, body.source], [
      "s1",
      "temperature",
      "avg",
      "1m",
      "readings",
    ]);
    assertEquals(body.columns.map((c: { name: string }) => c.name), ["ts", "value", "samples"]);
    assertEquals(body.rows, [
      ["2024-05-01T00:00:00.000000000Z", 1.5, 2],
      ["2024-05-01T00:01:00.000000000Z", 3.5, 2],
    ]);
    const last = await (await fixture.call(
      `/api/v1/series?sensor=s1&metric=temperature&${RANGE}&step=2m&aggregate=last`,
      "reader",
    )).json();
    assertEquals(last.rows, [["2024-05-01T00:00:00.000000000Z", 4, 4]]);
  });
});

Deno.test("GET /api/v1/series honours the range end exclusively and answers Arrow", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const response = await fixture.call(
      "/api/v1/series?sensor=s1&metric=temperature&from=2024-05-01T00:00:00Z&to=2024-05-01T00:01:00Z&step=10s&format=arrow",
      "reader",
    );
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    assertEquals(table.numRows, 2);
    assertEquals(table.getChild("value")!.toArray(), Float64Array.of(1, 2));
  });
});

Deno.test("GET /api/v1/series names the bad parameter, its value and what is allowed", async () => {
  await withApi(async ({ call }) => {
    const cases: [string, string, RegExp][] = [
      ["/api/v1/series", "sensor", /non-empty/],
      ["/api/v1/series?sensor=s1&step=5x", "step", /duration like/],
      ["/api/v1/series?sensor=s1&aggregate=median", "aggregate", /one of avg, min, max/],
      ["/api/v1/series?sensor=s1&from=yesterday", "from", /ISO-8601/],
      [
        `/api/v1/series?sensor=s1&from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z`,
        "from",
        /before "to"/,
      ],
      [
        `/api/v1/series?sensor=s1&from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&step=1s`,
        "step",
        /at most 100000 buckets/,
      ],
    ];
    for (const [path, parameter, allowed] of cases) {
      const response = await call(path, "reader");
      assertEquals(response.status, 400, path);
      const body = await response.json();
      assertEquals(body.parameter, parameter, path);
      assertMatch(body.allowed, allowed);
      assertMatch(body.error, new RegExp(`parameter "${parameter}"`));
    }
  });
});

Deno.test("GET /api/v1/series rounds the range out to whole steps", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const body = await (await fixture.call(
      "/api/v1/series?sensor=s1&metric=temperature&from=2024-05-01T00:00:20Z&to=2024-05-01T00:01:10Z&step=1m&source=raw",
      "reader",
    )).json();
    assertEquals(body.rows.map((r: unknown[]) => r[2]), [2, 2]);
  });
});

/** Readings of s1/temperature and s1/humidity, random values every ~0.7 s for 3 hours. */
function readingsBatch(n: number, seed: number): Batch {
  const rng = createRandom(seed);
  const start = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z
  const ts = BigInt64Array.from(
    { length: n },
    () => start + BigInt(rng.int(0, 10_799_999)) * 1_000_000n,
  );
  ts.sort();
  return {
    agent: "edge-1",
    stream: "readings",
    firstSeq: 1n,
    lastSeq: BigInt(n),
    rowCount: n,
    columns: {
      seq: BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1)),
      ts,
      recv_ts: ts.slice(),
      sensor: Array.from({ length: n }, () => "s1"),
      metric: Array.from({ length: n }, () => (rng.next() < 0.7 ? "temperature" : "humidity")),
      value: Float64Array.from({ length: n }, () => Math.round(rng.next() * 4000) / 100),
      unit: Array.from({ length: n }, () => ""),
      tags: Array.from({ length: n }, () => "{}"),
    },
  };
}

Deno.test("GET /api/v1/series merges the sensor_minute rollup and agrees with raw readings", async () => {
  await withApi(async ({ store, call }) => {
    await store.ingest(readingsBatch(15_000, 3), 1);
    for (const aggregate of ["avg", "min", "max", "sum", "count", "last"]) {
      for (const step of ["1m", "5m", "1h"]) {
        const path =
          `/api/v1/series?sensor=s1&metric=temperature&from=2024-05-01T00:00:00Z&to=2024-05-01T03:00:00Z&step=${step}&aggregate=${aggregate}`;
        const auto = await call(path, "reader");
        assertEquals(auto.headers.get("x-tributary-source"), "sensor_minute");
        const fromRollup = await auto.json();
        const fromRaw = await (await call(`${path}&source=raw`, "reader")).json();
        assertEquals(fromRaw.source, "readings");
        assertEquals(fromRollup.rows.length, fromRaw.rows.length, `${aggregate} ${step}`);
        fromRaw.rows.forEach((raw: [string, number, number], i: number) => {
          const [ts, value, samples] = fromRollup.rows[i];
          assertEquals([ts, samples], [raw[0], raw[2]], `${aggregate} ${step} row ${i}`);
          // Sums may differ in the last bits (added in another order).
          assertEquals(
            Math.abs(value - raw[1]) < 1e-6,
            true,
            `${aggregate} ${step}: ${value} vs ${raw[1]}`,
          );
        });
      }
    }
    // No rollup for `first`, nor for steps that are not whole minutes.
    for (const query of ["aggregate=first&step=1m", "step=30s"]) {
      const response = await call(
        `/api/v1/series?sensor=s1&from=2024-05-01T00:00:00Z&to=2024-05-01T01:00:00Z&${query}`,
        "reader",
      );
      assertEquals(response.headers.get("x-tributary-source"), "readings", query);
      await response.body?.cancel();
    }
  });
});
