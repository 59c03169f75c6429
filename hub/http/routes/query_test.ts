import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { tableFromIPC } from "apache-arrow";
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlBody, withApi } from "../testing/api_fixture.ts";
import { QueryGate } from "../query_gate.ts";

const SAMPLE = `SELECT * FROM (VALUES
    ('2024-05-01 12:00:00.123456789'::TIMESTAMP_NS, 'a,"b"', 1.5, 9007199254740993::BIGINT, [1, 2]),
    (NULL, 'plain', NULL, 7::BIGINT, [])) t(ts, txt, x, n, l) ORDER BY n DESC`;

Deno.test("POST /api/v1/query answers JSON by default, with row headers", async () => {
  await withApi(async ({ call }) => {
    const response = await call("/api/v1/query", "reader", sqlBody(SAMPLE));
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("x-tributary-rows"), "2");
    const body = await response.json();
    assertEquals(body.rows[0], [
      "2024-05-01T12:00:00.123456789Z",
      'a,"b"',
      1.5,
      "9007199254740993",
      [
        1,
        2,
      ],
    ]);
    assertEquals(body.truncated, false);
  });
});

Deno.test("POST /api/v1/query answers CSV for ?format=csv and Accept: text/csv", async () => {
  await withApi(async ({ call }) => {
    for (
      const [path, headers] of [
        ["/api/v1/query?format=csv", {}],
        ["/api/v1/query", { accept: "text/csv" }],
      ] as const
    ) {
      const response = await call(path, "reader", sqlBody(SAMPLE, headers));
      assertEquals(response.status, 200);
      assertMatch(response.headers.get("content-type") ?? "", /^text\/csv/);
      assertEquals(
        await response.text(),
        'ts,txt,x,n,l\r\n2024-05-01T12:00:00.123456789Z,"a,""b""",1.5,9007199254740993,"[1,2]"\r\n,plain,,7,[]\r\n',
      );
    }
  });
});

Deno.test("POST /api/v1/query answers an Arrow IPC stream that keeps ns timestamps and int64", async () => {
  await withApi(async ({ call }) => {
    const response = await call(
      "/api/v1/query",
      "reader",
      sqlBody(SAMPLE, { accept: "application/vnd.apache.arrow.stream" }),
    );
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("content-type"), "application/vnd.apache.arrow.stream");
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    assertEquals(table.numRows, 2);
    assertEquals(table.schema.fields.map((f) => String(f.type)), [
      "Timestamp<NANOSECOND, UTC>",
      "Utf8",
      "Float64",
      "Int64",
      "Utf8",
    ]);
    const ts = table.getChild("ts")!;
    assertEquals(ts.data[0]!.values[0], 1714564800123456789n);
    assertEquals(ts.get(1), null);
    assertEquals(table.getChild("n")!.get(0), 9007199254740993n);
    assertEquals(table.getChild("x")!.get(1), null);
    assertEquals(table.getChild("l")!.get(0), "[1,2]");
  });
});

Deno.test("POST /api/v1/query answers Parquet that DuckDB reads back", async () => {
  await withApi(async ({ call }) => {
    const response = await call("/api/v1/query?format=parquet", "reader", sqlBody(SAMPLE));
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("content-type"), "application/vnd.apache.parquet");
    const bytes = new Uint8Array(await response.arrayBuffer());
    assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "PAR1");
    const dir = await Deno.makeTempDir();
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await Deno.writeFile(`${dir}/r.parquet`, bytes);
      const reader = await connection.runAndReadAll(
        `SELECT epoch_ns(ts)::VARCHAR, txt, x, n, l FROM '${dir}/r.parquet' ORDER BY n DESC`,
      );
      assertEquals(reader.getRowsJson(), [
        // 1.5 is a DECIMAL literal in DuckDB, which Parquet keeps (JSON text "1.5").
        ["1714564800123456789", 'a,"b"', "1.5", "9007199254740993", [1, 2]],
        [null, "plain", null, "7", []],
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
      await Deno.remove(dir, { recursive: true });
    }
    // The private export folder is gone.
    for await (const entry of Deno.readDir(Deno.env.get("TMPDIR") ?? "/tmp")) {
      assert(!entry.name.startsWith("tributary-parquet-"), `left behind: ${entry.name}`);
    }
  });
});

Deno.test("POST /api/v1/query refuses an unknown format naming the parameter", async () => {
  await withApi(async ({ call }) => {
    const response = await call("/api/v1/query?format=xml", "reader", sqlBody("SELECT 1"));
    assertEquals(response.status, 400);
    const body = await response.json();
    assertEquals([body.parameter, body.value], ["format", "xml"]);
    assertMatch(body.allowed, /json, csv, arrow, parquet/);
  });
});

Deno.test("POST /api/v1/query cuts every format at the row limit", async () => {
  await withApi(async ({ call }) => {
    const sql = "SELECT * FROM range(5000) t(i)";
    const json = await (await call("/api/v1/query", "reader", sqlBody(sql))).json();
    assertEquals([json.rows.length, json.truncated], [2100, true]);
    const csv = await call("/api/v1/query?format=csv", "reader", sqlBody(sql));
    assertEquals(csv.headers.get("x-tributary-truncated"), "true");
    assertEquals((await csv.text()).trim().split("\r\n").length, 2101);
    const arrow = await call("/api/v1/query?format=arrow", "reader", sqlBody(sql));
    assertEquals(tableFromIPC(new Uint8Array(await arrow.arrayBuffer())).numRows, 2100);
  }, { query: { maxRows: 2100 } });
});

Deno.test("POST /api/v1/query records who asked what in the audit log", async () => {
  await withApi(async ({ call, auth }) => {
    await call("/api/v1/query", "reader", sqlBody("SELECT 42 AS answer"));
    await call("/api/v1/query", "reader", sqlBody("SELEC oops"));
    const entries = await auth.audit({ action: "query" });
    assertEquals(entries.map((e) => [e.token_name, e.detail, e.status, e.rows]), [
      ["reader-1", "SELEC oops", 400, 0],
      ["reader-1", "SELECT 42 AS answer", 200, 1],
    ]);
    assert(entries[1]!.bytes > 0);
  });
});

Deno.test("POST /api/v1/query observes the query latency histogram", async () => {
  await withApi(async ({ call, app }) => {
    await call("/api/v1/query?format=csv", "reader", sqlBody("SELECT 1"));
    const page = await (await app.request("/metrics")).text();
    assertMatch(
      page,
      /tributary_hub_query_seconds_count\{endpoint="query",format="csv",outcome="ok"\} 1/,
    );
    assertMatch(
      page,
      /tributary_hub_http_requests_total\{route="\/api\/v1\/query",method="POST",status="200"\} 1/,
    );
  });
});

Deno.test("POST /api/v1/query answers 429 when the running and waiting queries are at their limits", async () => {
  const gate = new QueryGate({ maxRunning: 1, maxQueued: 0 });
  await withApi(async ({ call }) => {
    // Runs until the 3 s time limit interrupts it, holding the only slot meanwhile.
    const slow = call(
      "/api/v1/query",
      "reader",
      sqlBody("SELECT count(*) FROM range(100000000) a, range(100000000) b"),
    );
    await waitFor(() => gate.running === 1);
    const refused = await call("/api/v1/query", "reader", sqlBody("SELECT 1"));
    assertEquals(refused.status, 429);
    assertEquals(refused.headers.get("retry-after"), "1");
    assertMatch((await refused.json()).error, /too many queries: 1 running and 0 waiting/);
    assertEquals((await slow).status, 400);
    // The slot is free again.
    assertEquals(gate.running, 0);
    assertEquals((await call("/api/v1/query", "reader", sqlBody("SELECT 1"))).status, 200);
  }, { concurrency: gate, query: { timeoutMs: 3000 } });
});

/** Polls `condition` every 5 ms for at most 2 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met within 2 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
