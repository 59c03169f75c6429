import { assertEquals } from "@tributary/shared/testing/asserts";
import { type ApiFixture, withApi } from "../testing/api_fixture.ts";

async function arrange({ exec }: ApiFixture) {
  await exec(`INSERT INTO logs BY NAME
    SELECT ts, ts AS recv_ts, agent, source, level, message, '{}' AS fields, ts AS ingested_at
    FROM (VALUES
      (TIMESTAMP_NS '2024-05-01 00:00:01', 'edge-1', 'nginx', 'info', 'GET /index 200'),
      (TIMESTAMP_NS '2024-05-01 00:00:02', 'edge-1', 'nginx', 'error', 'upstream TIMED OUT'),
      (TIMESTAMP_NS '2024-05-01 00:00:03', 'edge-2', 'sshd', 'warn', 'Failed password for root'),
      (TIMESTAMP_NS '2024-05-01 00:00:04', 'edge-2', 'nginx', 'error', '100%_literal timed out')
    ) v(ts, agent, source, level, message)`);
}

const RANGE = "from=2024-05-01T00:00:00Z&to=2024-05-01T01:00:00Z";
const messages = (body: { rows: unknown[][] }) => body.rows.map((r) => r[4]);

Deno.test("GET /api/v1/logs filters by level, source, agent and text, newest first", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const get = async (query: string) =>
      await (await fixture.call(`/api/v1/logs?${RANGE}&${query}`, "reader")).json();
    assertEquals(messages(await get("")), [
      "100%_literal timed out",
      "Failed password for root",
      "upstream TIMED OUT",
      "GET /index 200",
    ]);
    assertEquals(messages(await get("level=warn,error&source=nginx")), [
      "100%_literal timed out",
      "upstream TIMED OUT",
    ]);
    assertEquals(messages(await get("q=timed%20out&agent=edge-1")), ["upstream TIMED OUT"]);
    // LIKE wildcards in the search text are literal characters.
    assertEquals(messages(await get("q=0%25_l")), ["100%_literal timed out"]);
    assertEquals(messages(await get("q=x%25y")), []);
    assertEquals(messages(await get("limit=1")), ["100%_literal timed out"]);
  });
});

Deno.test("GET /api/v1/logs refuses an unknown level and a bad limit", async () => {
  await withApi(async ({ call }) => {
    const level = await (await call("/api/v1/logs?level=loud", "reader")).json();
    assertEquals([level.parameter, level.value], ["level", "loud"]);
    const limit = await (await call("/api/v1/logs?limit=0", "reader")).json();
    assertEquals(limit.parameter, "limit");
  });
});
