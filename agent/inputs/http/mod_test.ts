import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { nowNs } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "../../buffer/mod.ts";
import {
  type BadInputAdapter,
  joinLines,
  runBadInputSuite,
  utf8,
} from "../testing/bad_input_suite.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import type { InputContext } from "../input.ts";
import { type RecordingContext, recordingContext } from "../testing/context.ts";
import { type HttpInput, httpInput } from "./mod.ts";

const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

/** An http input on a free loopback port, writing to `ctx` (a recording one by default). */
function start(options?: Record<string, unknown>): Started<RecordingContext>;
function start<C extends InputContext>(options: Record<string, unknown>, ctx: C): Started<C>;
function start(
  options: Record<string, unknown> = {},
  ctx: InputContext = recordingContext(),
): Started<InputContext> {
  const config = httpInput.validate({ listen: "127.0.0.1:0", ...options }, "inputs[0]");
  const input = httpInput.create(config, ctx);
  return { input, ctx, started: input.start() };
}

interface Started<C> {
  input: HttpInput;
  ctx: C;
  started: Promise<void>;
}

async function post(
  url: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> | undefined; headers: Headers }> {
  const res = await fetch(url, { method: "POST", body, headers });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Runs curl (a real InfluxDB-protocol client) and returns the HTTP status. */
async function curl(args: string[]): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout));
}

Deno.test("http input answers /ping with 204 and unknown paths with 404", async () => {
  const { input, started } = start();
  await started;
  try {
    for (const method of ["GET", "HEAD"]) {
      const res = await fetch(`${input.url}/ping`, { method });
      await res.body?.cancel();
      assertEquals(res.status, 204);
    }
    const res = await fetch(`${input.url}/nope`);
    await res.body?.cancel();
    assertEquals(res.status, 404);
    const get = await fetch(`${input.url}/write`);
    await get.body?.cancel();
    assertEquals(get.status, 405);
  } finally {
    await input.stop();
  }
});

Deno.test("curl posts a Telegraf-format file, plain and gzip, into a real buffer", async () => {
  const dir = await Deno.makeTempDir();
  const buffer = await AgentBuffer.open({ path: join(dir, "buffer.duckdb"), agent: "edge-1" });
  const ctx = bufferContext(buffer, "http#0");
  // The fixture's timestamps are from 2023: no past limit for this test.
  const { input, started } = start({ max_past_s: 0, db_tag: "db" }, ctx);
  try {
    await started;
    const file = join(TESTDATA, "telegraf.lp");
    const gz = join(dir, "telegraf.lp.gz");
    await Deno.writeFile(gz, gzipSync(await Deno.readFile(file)));
    assertEquals(
      await curl(["--data-binary", `@${file}`, `${input.url}/write?db=telegraf&precision=ns`]),
      204,
    );
    assertEquals(
      await curl([
        "--data-binary",
        `@${gz}`,
        "-H",
        "Content-Encoding: gzip",
        `${input.url}/write?db=telegraf`,
      ]),
      204,
    );
    // 8 lines, 32 numeric fields (one string field, uptime_format, is counted).
    assertEquals((await buffer.stats()).readings.backlog_rows, 64);
    assertEquals(ctx.rejections.get("string_field"), 2);
    const rows = await buffer.query(
      `SELECT sensor, metric, value, unit, tags, ts FROM buffer_readings ` +
        `WHERE metric = 'temperature' OR (metric = 'used_percent' AND sensor LIKE 'disk%') ` +
        `ORDER BY seq LIMIT 2`,
    );
    assertEquals(
      JSON.parse(JSON.stringify(rows, (_k, v) => typeof v === "bigint" ? `${v}` : v)).rows,
      [
        [
          "disk,device=vda1,fstype=ext4,host=edge-7,mode=rw,path=/",
          "used_percent",
          5.1472,
          "",
          '{"db":"telegraf","device":"vda1","fstype":"ext4","host":"edge-7","mode":"rw","path":"/"}',
          "1700000000000000000",
        ],
        [
          "modbus,name=plc\\ 1,slave_id=1,type=holding_register,unit=degC",
          "temperature",
          21.5,
          "degC",
          '{"db":"telegraf","name":"plc 1","slave_id":"1","type":"holding_register"}',
          "1700000000000000000",
        ],
      ],
    );
  } finally {
    await input.stop();
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http input keeps good lines of a partly bad body and names the bad ones", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    const now = nowNs();
    const body = [`m v=1 ${now}`, "garbage", `m v=2 ${now}`, `m v=3 1`, `m v=4`].join("\n");
    const res = await post(`${input.url}/write`, body);
    assertEquals(res.status, 400);
    assertEquals(res.json?.kept_lines, "1,3,5");
    assertEquals(res.json?.rejected_count, 2);
    const rejected = res.json?.rejected as { line: number; reason: string }[];
    assertEquals(rejected.map((r) => [r.line, r.reason]), [[2, "bad_line"], [4, "clock_skew"]]);
    assert(String(res.json?.error).startsWith("partial write"));
    assertEquals(ctx.rows.readings.map((r) => r.value), [1, 2, 4]);
    assertEquals(Object.fromEntries(ctx.rejections), { bad_line: 1, clock_skew: 1 });
  } finally {
    await input.stop();
  }
});

Deno.test("http input applies the precision parameter", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    const s = nowNs() / 1_000_000_000n;
    assertEquals((await post(`${input.url}/write?precision=s`, `m v=1 ${s}`)).status, 204);
    assertEquals(ctx.rows.readings[0]?.ts, s * 1_000_000_000n);
    assertEquals((await post(`${input.url}/write?precision=parsec`, `m v=1`)).status, 400);
    assertEquals(Object.fromEntries(ctx.rejections), { bad_precision: 1 });
  } finally {
    await input.stop();
  }
});

Deno.test("http input refuses bodies over max_body_bytes with 413, gzip bombs too", async () => {
  const { input, ctx, started } = start({ max_body_bytes: 4096 });
  await started;
  try {
    const big = `m v=1\n`.repeat(1000);
    assertEquals((await post(`${input.url}/write`, big)).status, 413);
    // 6 kB of lines compress to a few hundred bytes: the limit applies inflated.
    const bomb = new Uint8Array(gzipSync(utf8(big)));
    assert(bomb.length < 4096);
    assertEquals(
      (await post(`${input.url}/write`, bomb, { "Content-Encoding": "gzip" })).status,
      413,
    );
    const unsupported = await post(`${input.url}/write`, "m v=1", { "Content-Encoding": "br" });
    assertEquals(unsupported.status, 415);
    const junkGzip = await post(`${input.url}/write`, "not gzip", { "Content-Encoding": "gzip" });
    assertEquals(junkGzip.status, 400);
    assertEquals(ctx.rows.readings.length, 0);
    assertEquals(Object.fromEntries(ctx.rejections), { too_large: 2, bad_encoding: 2 });
    assertEquals((await post(`${input.url}/write`, "m v=1")).status, 204);
  } finally {
    await input.stop();
  }
});

Deno.test("http input counts a body the client abandons as client_aborted, not bad data", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    const abort = new AbortController();
    let sender!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (sender = c) });
    const request = fetch(`${input.url}/write`, { method: "POST", body, signal: abort.signal })
      .then(() => "answered", (error) => String(error));
    sender.enqueue(utf8("m v=1\nm v=2\n"));
    // The body is being read (a slot taken) before the client goes away.
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    assert((await request).includes("AbortError"));
    await waitFor(() => ctx.rejections.size > 0, { message: "the broken body counted" });
    assertEquals(Object.fromEntries(ctx.rejections), { client_aborted: 1 });
    assertEquals(ctx.rows.readings.length, 0);
  } finally {
    await input.stop();
  }
});

Deno.test("http input takes JSON arrays, single objects and NDJSON on /readings", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    const ms = Number(nowNs() / 1_000_000n);
    const array = [
      { sensor: "t1", metric: "temp", value: 20, ts: ms },
      { sensor: "t1", fields: { hum: 40, ok: true } },
    ];
    assertEquals((await post(`${input.url}/readings`, JSON.stringify(array))).status, 204);
    const one = JSON.stringify({ sensor: "t2", metric: "temp", value: 21 }, null, 2);
    assertEquals((await post(`${input.url}/readings`, one)).status, 204);
    const ndjson = [
      JSON.stringify({ sensor: "t3", metric: "temp", value: 22 }),
      "{not json",
      JSON.stringify({ sensor: "t3", metric: "temp", value: 23, ts: ms + 3_600_000 }),
      JSON.stringify({ sensor: "t3", metric: "temp", value: 24 }),
    ].join("\n");
    const res = await post(`${input.url}/readings`, ndjson);
    assertEquals(res.status, 400);
    assertEquals(res.json?.kept_lines, "1,4");
    assertEquals(
      (res.json?.rejected as { line: number; reason: string }[]).map((r) => [r.line, r.reason]),
      [[2, "bad_record"], [3, "clock_skew"]],
    );
    assertEquals(ctx.rows.readings.map((r) => `${r.sensor}/${r.metric}=${r.value}`), [
      "t1/temp=20",
      "t1/hum=40",
      "t1/ok=1",
      "t2/temp=21",
      "t3/temp=22",
      "t3/temp=24",
    ]);
    assertEquals(ctx.rows.readings[0]?.ts, BigInt(ms) * 1_000_000n);
  } finally {
    await input.stop();
  }
});

Deno.test("http input answers 204 only after the write resolves", async () => {
  const ctx = recordingContext();
  const write = ctx.write;
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let writeStarted = false;
  ctx.write = async (kind, rows) => {
    writeStarted = true;
    await held;
    return write(kind, rows);
  };
  const { input, started } = start({}, ctx);
  await started;
  try {
    let answered = false;
    const response = post(`${input.url}/write`, "m v=1").then((r) => {
      answered = true;
      return r;
    });
    await waitFor(() => writeStarted, { message: "write started" });
    // The write is held: no answer may arrive meanwhile.
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(answered, false);
    assertEquals(ctx.rows.readings.length, 0);
    release();
    assertEquals((await response).status, 204);
    assertEquals(ctx.rows.readings.length, 1);
  } finally {
    release();
    await input.stop();
  }
});

Deno.test("http input answers 503 with Retry-After when the buffer refuses for now", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    ctx.failWrites = new RetryableError("budget_full", "full");
    const res = await post(`${input.url}/write`, "m v=1\nbad");
    assertEquals(res.status, 503);
    assertEquals(res.headers.get("retry-after"), "1");
    // Nothing counted: the client sends the same body again.
    assertEquals(ctx.rejections.size, 0);
    ctx.failWrites = undefined;
    assertEquals((await post(`${input.url}/write`, "m v=1")).status, 204);
  } finally {
    await input.stop();
  }
});

Deno.test("http input counts every line of a body the buffer refuses for good", async () => {
  const { input, ctx, started } = start();
  await started;
  try {
    ctx.failWrites = new PermanentError("bad_row", "refused");
    const res = await post(`${input.url}/write`, "m v=1\nbad\nm v=2");
    assertEquals(res.status, 400);
    assertEquals(res.json?.rejected_count, 3);
    assertEquals(res.json?.kept_lines, "");
    // The bad line under its own reason, the two refused ones under the buffer's.
    assertEquals(Object.fromEntries(ctx.rejections), { bad_line: 1, bad_row: 2 });
    assertEquals(ctx.rows.readings.length, 0);
  } finally {
    await input.stop();
  }
});

Deno.test("http input passes the bad-input suite", async (t) => {
  const { input, ctx, started } = start({ max_body_bytes: 65_536, max_line_bytes: 1024 });
  await started;
  const adapter: BadInputAdapter = {
    goodRecord: (marker, ts) => utf8(`suite,sensor=s${marker} value=${marker} ${ts}`),
    async deliver(records) {
      const res = await fetch(`${input.url}/write`, { method: "POST", body: joinLines(records) });
      await res.body?.cancel();
      assert([204, 400, 413].includes(res.status), `status ${res.status}`);
    },
    writtenMarkers: () => ctx.rows.readings.map((r) => r.value),
    rejections: () => ctx.rejections,
    malformedRecords: [
      utf8("suite,sensor=x"),
      utf8("suite value=abc"),
      utf8('suite value="unterminated'),
      utf8("suite value=1 notatime"),
      utf8(",sensor=x value=1"),
    ],
    maxRecordBytes: 1024,
    maxUnitBytes: 65_536,
    skew: { maxFutureS: 300, maxPastS: 604_800 },
    reasons: {
      "malformed records": "bad_line",
      "huge record": "too_large",
      "huge body": "too_large",
      "invalid UTF-8": "bad_encoding",
      "UTF-16 text": "bad_encoding",
    },
  };
  try {
    await runBadInputSuite(t, adapter);
  } finally {
    await input.stop();
  }
});

Deno.test("http input handles at most max_inflight_requests bodies at once", async () => {
  const ctx = recordingContext();
  const write = ctx.write;
  let active = 0;
  let peak = 0;
  // Writes are held until released, so overlap does not depend on timing.
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  ctx.write = async (kind, rows) => {
    active++;
    peak = Math.max(peak, active);
    await held;
    active--;
    return write(kind, rows);
  };
  const { input, started } = start({ max_inflight_requests: 2 }, ctx);
  await started;
  try {
    const responses = Array.from(
      { length: 6 },
      (_, i) => post(`${input.url}/write`, `m v=${i}`).then((r) => r.status),
    );
    await waitFor(() => active === 2, { message: "two writes in flight" });
    // The other four wait for a slot: none of them may reach the buffer meanwhile.
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(peak, 2);
    release();
    assertEquals(await Promise.all(responses), [204, 204, 204, 204, 204, 204]);
    assertEquals(peak, 2);
    assertEquals(ctx.rows.readings.length, 6);
  } finally {
    release();
    await input.stop();
  }
});
