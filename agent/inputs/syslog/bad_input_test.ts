/**
 * The shared bad-input suite against the syslog input, over UDP (one
 * datagram per record) and over TCP (newline framing, one connection per
 * delivery), writing into a real DuckDB buffer.
 */
import dgram from "node:dgram";
import { AgentBuffer } from "../../buffer/mod.ts";
import { type BadInputAdapter, runBadInputSuite, utf8 } from "../testing/bad_input_suite.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import { syslog, type SyslogInput } from "./mod.ts";

const MAX_MESSAGE_BYTES = 4096;
const SKEW = { maxFutureS: 300, maxPastS: 86400 };

function rfc5424(marker: number, tsNs: bigint): Uint8Array {
  const ms = Number(tsNs / 1_000_000n);
  const micros = String(tsNs % 1_000_000_000n).padStart(9, "0").slice(0, 6);
  const iso = new Date(ms).toISOString().slice(0, 19) + `.${micros}Z`;
  return utf8(`<14>1 ${iso} edge app 42 - - order placed marker=${marker}`);
}

async function withSyslog(
  transport: "udp" | "tcp",
  body: (input: SyslogInput, adapter: Omit<BadInputAdapter, "deliver">) => Promise<void>,
): Promise<void> {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const ctx = bufferContext(buffer, "syslog#0");
  const input = syslog.create(
    syslog.validate({
      udp_listen: transport === "udp" ? "127.0.0.1:0" : "",
      tcp_listen: transport === "tcp" ? "127.0.0.1:0" : "",
      flush_ms: 10,
      max_message_bytes: MAX_MESSAGE_BYTES,
      max_future_s: SKEW.maxFutureS,
      max_past_s: SKEW.maxPastS,
    }, "inputs[0]"),
    ctx,
  );
  try {
    await input.start();
    await body(input, {
      goodRecord: rfc5424,
      async writtenMarkers() {
        const result = await buffer.query("SELECT message FROM buffer_logs");
        return result.rows.flatMap((row) => {
          const m = /marker=(\d+)/.exec(String(row[0]));
          return m ? [Number(m[1])] : [];
        });
      },
      rejections: () => ctx.rejections,
      malformedRecords: [
        utf8("just some text"),
        utf8("<999>1 - - - - - - bad pri"),
        utf8("<14>1 2024-05-01 host app - - - date without time"),
        utf8("<14>1 - host app - - [unclosed sd"),
        utf8("<14>Foo 31 23:59:59 host app: bad month"),
      ],
      maxRecordBytes: MAX_MESSAGE_BYTES,
      skew: SKEW,
      reasons: {
        "malformed records": "malformed",
        "binary junk": "binary",
        "huge record": "too_large",
        "invalid UTF-8": "invalid_utf8",
        "UTF-16 text": "binary",
      },
    });
  } finally {
    await input.stop();
    await buffer.close();
  }
}

Deno.test("syslog over UDP passes the bad-input suite", async (t) => {
  await withSyslog("udp", async (input, adapter) => {
    const port = input.addresses().udp!.port;
    const socket = dgram.createSocket("udp4");
    try {
      await runBadInputSuite(t, {
        ...adapter,
        async deliver(records) {
          for (const record of records) {
            await new Promise<void>((resolve, reject) =>
              socket.send(record, port, "127.0.0.1", (e) => e ? reject(e) : resolve())
            );
          }
        },
      });
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });
});

Deno.test("syslog over TCP passes the bad-input suite", async (t) => {
  await withSyslog("tcp", async (input, adapter) => {
    const port = input.addresses().tcp!.port;
    await runBadInputSuite(t, {
      ...adapter,
      async deliver(records) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          for (const record of records) {
            const framed = new Uint8Array(record.length + 1);
            framed.set(record);
            framed[record.length] = 0x0a;
            for (let at = 0; at < framed.length;) at += await conn.write(framed.subarray(at));
          }
        } finally {
          conn.close();
        }
      },
    });
  });
});
