import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { messageToRow, syslog } from "./mod.ts";

const enc = new TextEncoder();

async function sendUdp(port: number, messages: string[]): Promise<void> {
  const { default: dgram } = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  try {
    for (const m of messages) {
      await new Promise<void>((resolve, reject) =>
        socket.send(enc.encode(m), port, "127.0.0.1", (e) => e ? reject(e) : resolve())
      );
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

Deno.test("messageToRow maps a message to a row and counts what it refuses", () => {
  const ctx = recordingContext();
  const config = syslog.validate({ source: "" }, "in");
  const origin = { transport: "udp" as const, peer: "127.0.0.1:1" };
  const row = messageToRow(enc.encode("<11>1 - h app 7 - - boom\n"), origin, config, ctx)!;
  assertEquals([row.level, row.source, row.message], ["error", "app", "boom"]);
  assertEquals(row.ts, row.recv_ts);
  assertEquals(JSON.parse(row.fields), {
    facility: "user",
    severity: "err",
    format: "rfc5424",
    transport: "udp",
    peer: "127.0.0.1:1",
    host: "h",
    app: "app",
    procid: "7",
  });
  const multi = messageToRow(enc.encode("<14>1 - - - - - - line 1\nline 2"), origin, config, ctx)!;
  assertEquals([multi.source, multi.message], ["syslog", "line 1\nline 2"]);
  assertEquals(messageToRow(enc.encode("plain text"), origin, config, ctx), undefined);
  assertEquals(messageToRow(new Uint8Array(70_000).fill(0x41), origin, config, ctx), undefined);
  assertEquals(
    messageToRow(enc.encode("<14>1 2000-01-01T00:00:00Z - - - - - old"), origin, config, ctx),
    undefined,
  );
  assertEquals(Object.fromEntries(ctx.rejections), { malformed: 1, too_large: 1, clock_skew: 1 });
});

Deno.test("syslog TCP pauses reading while the buffer refuses, and loses nothing", async () => {
  const ctx = recordingContext();
  const input = syslog.create(
    syslog.validate(
      {
        udp_listen: "",
        tcp_listen: "127.0.0.1:0",
        flush_ms: 10,
        batch_rows: 50,
        max_queue_rows: 100,
      },
      "inputs[0]",
    ),
    ctx,
  );
  let conn: Deno.TcpConn | undefined;
  try {
    await input.start();
    ctx.failWrites = new RetryableError("budget_full", "buffer full");
    conn = await Deno.connect({ hostname: "127.0.0.1", port: input.addresses().tcp!.port });
    const total = 5000;
    const text = Array.from({ length: total }, (_, i) => `<14>1 - - app - - - m${i}\n`).join("");
    // The input holds at most max_queue_rows and then stops reading: this
    // write completes only because the kernel buffers the rest.
    const bytes = enc.encode(text);
    const c = conn;
    const sending = (async () => {
      // Deno's write may take part of the bytes: loop until all are sent.
      for (let at = 0; at < bytes.length;) at += await c.write(bytes.subarray(at));
    })();
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(ctx.rows.logs.length, 0);
    ctx.failWrites = undefined;
    await sending;
    await waitFor(() => ctx.rows.logs.length >= total, {
      message: "every message after the pause",
    });
    assertEquals(
      ctx.rows.logs.map((r) => r.message),
      Array.from({ length: total }, (_, i) => `m${i}`),
    );
  } finally {
    conn?.close();
    await input.stop();
  }
});

Deno.test("syslog UDP rejects messages beyond the queue as queue_full while the buffer refuses", async () => {
  const ctx = recordingContext();
  const input = syslog.create(
    syslog.validate(
      { udp_listen: "127.0.0.1:0", tcp_listen: "", flush_ms: 10, max_queue_rows: 10 },
      "inputs[0]",
    ),
    ctx,
  );
  try {
    await input.start();
    ctx.failWrites = new RetryableError("budget_full", "buffer full");
    const port = input.addresses().udp!.port;
    await sendUdp(port, Array.from({ length: 30 }, (_, i) => `<14>1 - - - - - - u${i}`));
    await waitFor(() => (ctx.rejections.get("queue_full") ?? 0) === 20, {
      message: "20 queue_full",
    });
    ctx.failWrites = undefined;
    await waitFor(() => ctx.rows.logs.length === 10, { message: "the 10 queued messages" });
    assertEquals(
      ctx.rows.logs.map((r) => r.message),
      Array.from({ length: 10 }, (_, i) => `u${i}`),
    );
  } finally {
    await input.stop();
  }
});

Deno.test("syslog stop writes what it holds; stop is safe before start and twice", async () => {
  const idle = syslog.create(syslog.defaultConfig(), recordingContext());
  await idle.stop();
  await idle.stop();
  const ctx = recordingContext();
  const input = syslog.create(
    syslog.validate(
      { udp_listen: "127.0.0.1:0", tcp_listen: "", flush_ms: 60_000, batch_rows: 1000 },
      "in",
    ),
    ctx,
  );
  await input.start();
  await sendUdp(input.addresses().udp!.port, ["<14>1 - - - - - - held"]);
  // flush_ms is a minute: only stop() can have written it.
  await new Promise((r) => setTimeout(r, 200));
  assertEquals(ctx.rows.logs.length, 0);
  await input.stop();
  assertEquals(ctx.rows.logs.map((r) => r.message), ["held"]);
  assert(input.addresses().udp !== undefined);
});
