import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { nowNs } from "@tributary/shared/records";
import {
  asUtf16le,
  BAD_INPUT_CASES,
  type BadInputAdapter,
  type BadInputCaseName,
  binaryJunk,
  joinLines,
  markerSource,
  padded,
  runBadInputSuite,
  utf8,
  withInvalidUtf8,
} from "./bad_input_suite.ts";
import { recordingContext } from "./context.ts";

/** What a toy input gets wrong, to prove the suite catches it. */
interface Flaws {
  /** Repairs bad encodings: drops replacement characters and NULs instead of rejecting. */
  lenientDecoding?: boolean;
  /** Drops the rest of a body after the first bad line. */
  stopAtFirstBadLine?: boolean;
  /** Ignores event-time skew. */
  noSkewCheck?: boolean;
  /** Ignores the body limit. */
  noBodyLimit?: boolean;
}

const MAX_LINE = 256;
const MAX_BODY = 4096;
const SKEW = { maxFutureS: 300, maxPastS: 7 * 86_400 };

/**
 * A toy line input, "m=<marker> ts=<ns>" per line, written the way a real
 * input should be (or with `flaws`), behind the suite's adapter.
 */
function toyAdapter(flaws: Flaws = {}): BadInputAdapter {
  const ctx = recordingContext();
  const strict = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder("utf-8");
  const handleLine = (bytes: Uint8Array): boolean => {
    if (bytes.length > MAX_LINE) return ctx.rejected("too_large"), false;
    let line: string;
    if (flaws.lenientDecoding) {
      line = lenient.decode(bytes).replaceAll("\uFFFD", "").replaceAll("\0", "");
    } else {
      try {
        line = strict.decode(bytes);
      } catch {
        return ctx.rejected("bad_encoding"), false;
      }
      if (line.includes("\0")) return ctx.rejected("bad_encoding"), false;
    }
    const match = /^m=(\d+) ts=(\d+)$/.exec(line);
    if (!match) return ctx.rejected("bad_line"), false;
    const ts = BigInt(match[2]!);
    const now = nowNs();
    const skewed = ts > now + BigInt(SKEW.maxFutureS) * 1_000_000_000n ||
      ts < now - BigInt(SKEW.maxPastS) * 1_000_000_000n;
    if (skewed && !flaws.noSkewCheck) return ctx.rejected("clock_skew"), false;
    ctx.rows.readings.push({
      ts,
      recv_ts: now,
      sensor: "toy",
      metric: "m",
      value: Number(match[1]),
      unit: "",
      tags: "{}",
    });
    return true;
  };
  return {
    goodRecord: (marker, tsNs) => utf8(`m=${marker} ts=${tsNs}`),
    deliver(records) {
      const size = records.reduce((n, r) => n + r.length + 1, 0);
      if (size > MAX_BODY && !flaws.noBodyLimit) {
        ctx.rejected("too_large");
        return Promise.resolve();
      }
      for (const record of records) {
        if (!handleLine(record) && flaws.stopAtFirstBadLine) break;
      }
      return Promise.resolve();
    },
    writtenMarkers: () => ctx.rows.readings.map((r) => r.value),
    rejections: () => ctx.rejections,
    malformedRecords: [utf8("m=abc ts=1"), utf8("no fields at all"), utf8("m=1")],
    maxRecordBytes: MAX_LINE,
    maxUnitBytes: MAX_BODY,
    skew: SKEW,
    reasons: { "huge record": "too_large", "invalid UTF-8": "bad_encoding" },
    timeoutMs: 300,
  };
}

function caseNamed(name: BadInputCaseName) {
  const found = BAD_INPUT_CASES.find((c) => c.name === name);
  assert(found, name);
  return found;
}

Deno.test("runBadInputSuite passes an input that rejects, counts and keeps going", async (t) => {
  await runBadInputSuite(t, toyAdapter());
});

Deno.test("runBadInputSuite ignores cases that do not apply", async (t) => {
  const adapter: BadInputAdapter = {
    ...toyAdapter(),
    malformedRecords: [],
    maxUnitBytes: undefined,
    skew: undefined,
  };
  const names = BAD_INPUT_CASES.filter((c) => c.notApplicable(adapter) !== undefined)
    .map((c) => c.name);
  assertEquals(names, ["malformed records", "huge body", "clock skew"]);
  await runBadInputSuite(t, adapter);
});

Deno.test("bad-input case invalid UTF-8 fails an input that repairs bad bytes", async () => {
  // Repairing makes the damaged record parse: nothing is counted as rejected
  // (and its marker is written).
  const adapter = { ...toyAdapter({ lenientDecoding: true }), reasons: {} };
  await assertRejects(
    () => caseNamed("invalid UTF-8").run(adapter, markerSource()),
    Error,
    "expected at least 1 more",
  );
});

Deno.test("bad-input case malformed records fails an input that drops the rest of a body", async () => {
  await assertRejects(
    () =>
      caseNamed("malformed records").run(toyAdapter({ stopAtFirstBadLine: true }), markerSource()),
    Error,
    "good markers missing",
  );
});

Deno.test("bad-input case clock skew fails an input that ignores skew", async () => {
  await assertRejects(
    () => caseNamed("clock skew").run(toyAdapter({ noSkewCheck: true }), markerSource()),
    Error,
    'under reason "clock_skew"',
  );
});

Deno.test("bad-input case huge body fails an input without a body limit", async () => {
  await assertRejects(
    () => caseNamed("huge body").run(toyAdapter({ noBodyLimit: true }), markerSource()),
    Error,
  );
});

Deno.test("bad-input helpers build the hostile bytes they promise", () => {
  const junk = binaryJunk(300);
  assertEquals(junk.length, 300);
  assert(!junk.includes(0x0a) && !junk.includes(0x0d));
  assert(junk.includes(0x00) && junk.includes(0xff));
  const record = utf8("abcd");
  const invalid = withInvalidUtf8(record);
  assertEquals([...invalid], [0x61, 0x62, 0xc0, 0xff, 0xc3, 0x63, 0x64]);
  assertEquals([...asUtf16le(utf8("ab"))], [0xff, 0xfe, 0x61, 0, 0x62, 0]);
  assertEquals(new TextDecoder().decode(joinLines([utf8("a"), utf8("bc")])), "a\nbc\n");
  assertEquals(new TextDecoder().decode(joinLines([utf8("x")], utf8("h\n"))), "h\nx\n");
  assertEquals(joinLines([]).length, 0);
  const big = padded(record, 10);
  assertEquals(new TextDecoder().decode(big), "abcd xxxxx");
});
