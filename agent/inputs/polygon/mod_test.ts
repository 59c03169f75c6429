import { parse } from "smol-toml";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startDenoProcess } from "../../../tests/harness/process.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { AgentBuffer } from "../../buffer/mod.ts";
import { configureInput, INPUT_FACTORIES } from "../registry.ts";
import { tradeLines, writeGzFile } from "./fixtures.ts";
import { polygon } from "./mod.ts";

Deno.test("polygon is registered as an input type and sample.toml configures through the registry", async () => {
  assertEquals(INPUT_FACTORIES.polygon, polygon as unknown);
  const sample = parse(await Deno.readTextFile(new URL("./sample.toml", import.meta.url)));
  const configured = configureInput((sample.inputs as unknown[])[0], "inputs[0]", 0);
  assertEquals([configured.type, configured.id], ["polygon", "polygon#0"]);
});

Deno.test({
  name: "polygon after a SIGKILL mid-file resumes and buffers every row exactly once",
  sanitizeResources: true,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const files = `${dir}/files`;
      await writeGzFile(
        `${files}/us_stocks_sip/trades_v1/2024/04/2024-04-04.csv.gz`,
        tradeLines({ rows: 3000 }),
      );
      await writeGzFile(
        `${files}/us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz`,
        tradeLines({ rows: 3000, startNs: 1_712_500_000_000_000_000n }).map((l) =>
          l.replace(/,T(\d+),/, ",U$1,")
        ),
      );
      const bufferPath = `${dir}/buffer.duckdb`;
      const child = () =>
        startDenoProcess({
          script: "agent/inputs/polygon/testdata/replay_child.ts",
          args: [bufferPath, files],
        });

      // First run: killed once a few batches are committed, well before the end.
      const first = await child();
      await waitFor(
        () => first.stdout().split("\n").filter((l) => l.includes('"committed"')).length >= 8,
        {
          timeoutMs: 30_000,
          message: "8 commits",
        },
      );
      const killed = await first.kill();
      assertEquals(killed.signal, "SIGKILL");
      const commits = first.stdout().split("\n").filter((l) => l.includes('"committed"'));
      const last = JSON.parse(JSON.parse(commits.at(-1)!).position);
      // The kill landed inside the first file (mid-file resume is what is tested).
      assertEquals([last.file.endsWith("04-04.csv.gz"), last.done], [true, false]);

      // Second run: resumes from the checkpoint and finishes.
      const second = await child();
      const exit = await second.exited;
      assertEquals(exit.code, 0, second.stderr());
      assert(second.stdout().includes('"done"'));

      const buffer = await AgentBuffer.open({ path: bufferPath, agent: "edge-1", readOnly: true });
      try {
        const result = await buffer.query(
          "SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS ids FROM buffer_trades",
        );
        assertEquals(result.rows, [[6000, 6000]]);
      } finally {
        await buffer.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
