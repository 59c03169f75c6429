/**
 * The inputs section of `deno task bench` (`--only inputs` runs it alone):
 * each input bench as its own process, one after the other, so one input's
 * heap and DuckDB cache do not weigh on the next. Each prints its own figures
 * and the machine it ran on.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The input benches, in the order they run. */
export const INPUT_BENCHES = [
  { name: "http line protocol → buffer", file: "inputs_http_bench.ts" },
  { name: "tail → buffer", file: "inputs_tail_bench.ts" },
  { name: "syslog → buffer", file: "inputs_syslog_bench.ts" },
  { name: "polygon replay → buffer", file: "inputs_polygon_bench.ts" },
] as const;

/**
 * Runs every input bench, streaming its output.
 *
 * @returns the benches that failed (empty when all ran).
 */
export async function inputsSection(): Promise<string[]> {
  const failed: string[] = [];
  for (const bench of INPUT_BENCHES) {
    console.log(`\n# Input bench: ${bench.name} (bench/${bench.file})`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(new URL(bench.file, import.meta.url))],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) failed.push(bench.file);
  }
  return failed;
}
