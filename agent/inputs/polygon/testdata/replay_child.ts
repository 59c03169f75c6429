/**
 * A child process for the crash test: replays the flat files in `Deno.args[1]`
 * into a real DuckDB buffer at `Deno.args[0]`, printing a JSON line after
 * every commit, and `{"event":"done"}` when the replay finished.
 *
 * @module
 */
import { createLogger } from "@tributary/shared/log";
import type { Kind, RowOf } from "@tributary/shared/records";
import { AgentBuffer } from "../../../buffer/mod.ts";
import type { InputContext } from "../../input.ts";
import { defaultPolygonConfig } from "../config.ts";
import { createPolygonInput } from "../mod.ts";

const [bufferPath, folder] = Deno.args;
const buffer = await AgentBuffer.open({ path: bufferPath!, agent: "edge-1" });
const INPUT = "polygon#0";
let commits = 0;
const ctx: InputContext = {
  agent: "edge-1",
  id: INPUT,
  log: createLogger({ level: "warn" }),
  readCheckpoint: (name) => buffer.readCheckpoint(INPUT, name),
  rejected: () => {},
  async write<K extends Kind>(
    kind: K,
    rows: readonly RowOf[K][],
    checkpoint?: { name: string; position: string },
  ) {
    await buffer.append(kind, rows, { checkpoint: checkpoint && { input: INPUT, ...checkpoint } });
    console.log(
      JSON.stringify({ event: "committed", commits: ++commits, position: checkpoint?.position }),
    );
  },
};
const input = createPolygonInput(
  { ...defaultPolygonConfig(), path: folder!, progress: false, batch_rows: 200, rate: 4_000 },
  ctx,
);
console.log(JSON.stringify({ event: "ready" }));
await input.start();
await input.done;
await input.stop();
await buffer.close();
console.log(JSON.stringify({ event: "done" }));
