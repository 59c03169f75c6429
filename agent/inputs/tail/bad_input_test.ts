/**
 * The shared bad-input suite against the tail input, writing into a real
 * DuckDB buffer: records are lines appended to a followed file.
 */
import { AgentBuffer } from "../../buffer/mod.ts";
import { type BadInputAdapter, runBadInputSuite, utf8 } from "../testing/bad_input_suite.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import { tail } from "./mod.ts";

const MAX_LINE_BYTES = 4096;

Deno.test("tail passes the bad-input suite", async (t) => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "");
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const ctx = bufferContext(buffer, "tail#0");
  const config = tail.validate({
    paths: [path],
    poll_ms: 10,
    max_line_bytes: MAX_LINE_BYTES,
    timestamp: "rfc3339",
    max_future_s: 300,
    max_past_s: 86400,
  }, "inputs[0]");
  const input = tail.create(config, ctx);
  const adapter: BadInputAdapter = {
    goodRecord: (marker, tsNs) => {
      const ms = Number(tsNs / 1_000_000n);
      const micros = String(tsNs % 1_000_000_000n).padStart(9, "0").slice(0, 6);
      const iso = new Date(ms).toISOString().slice(0, 19) + `.${micros}Z`;
      return utf8(`${iso} INFO order placed marker=${marker}`);
    },
    async deliver(records) {
      const file = await Deno.open(path, { append: true });
      try {
        for (const record of records) {
          await file.write(record);
          await file.write(utf8("\n"));
        }
      } finally {
        file.close();
      }
    },
    async writtenMarkers() {
      const result = await buffer.query("SELECT message FROM buffer_logs");
      return result.rows.flatMap((row) => {
        const m = /marker=(\d+)/.exec(String(row[0]));
        return m ? [Number(m[1])] : [];
      });
    },
    rejections: () => ctx.rejections,
    malformedRecords: [],
    maxRecordBytes: MAX_LINE_BYTES,
    skew: { maxFutureS: 300, maxPastS: 86400 },
    reasons: {
      "binary junk": "binary",
      "huge record": "too_large",
      "invalid UTF-8": "invalid_utf8",
      "UTF-16 text": "binary",
    },
  };
  try {
    await input.start();
    await runBadInputSuite(t, adapter);
  } finally {
    await input.stop();
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
