import { assertEquals } from "@tributary/shared/testing/asserts";
import { parseSyslog, SEVERITY_LEVELS } from "./parse.ts";

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

Deno.test("parseSyslog reads the RFC 5424 example messages", () => {
  const r = parseSyslog(
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
    NOW,
  );
  assertEquals(r, {
    ok: true,
    value: {
      format: "rfc5424",
      facility: 4,
      severity: 2,
      tsNs: 1065910455003000000n,
      hostname: "mymachine.example.com",
      app: "su",
      procid: "",
      msgid: "ID47",
      structured: {},
      message: "'su root' failed for lonvick on /dev/pts/8",
    },
  });
  const sd = parseSyslog(
    '<165>1 2003-10-11T22:14:15.003000-07:00 host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"x\\]"][examplePriority@32473 class="high"]',
    NOW,
  );
  assertEquals(sd.ok && sd.value.structured, {
    "exampleSDID@32473": { iut: "3", eventSource: 'App"x]' },
    "examplePriority@32473": { class: "high" },
  });
  assertEquals(sd.ok && sd.value.message, "");
  assertEquals(sd.ok && sd.value.tsNs, 1065935655003000000n);
  const nilTime = parseSyslog("<13>1 - - - - - - hi", NOW);
  assertEquals(nilTime.ok && [nilTime.value.tsNs, nilTime.value.app, nilTime.value.message], [
    undefined,
    "",
    "hi",
  ]);
});

Deno.test("parseSyslog reads RFC 3164 with and without hostname, in the right year", () => {
  const r = parseSyslog("<13>Apr 30 14:00:01 vm myapp[123]: hello there", NOW);
  assertEquals(r.ok && r.value, {
    format: "rfc3164",
    facility: 1,
    severity: 5,
    tsNs: BigInt(new Date(2024, 3, 30, 14, 0, 1).getTime()) * 1_000_000n,
    hostname: "vm",
    app: "myapp",
    procid: "123",
    msgid: "",
    structured: {},
    message: "hello there",
  });
  const local = parseSyslog("<30>May  1 09:00:00 cron: job done", NOW);
  assertEquals(local.ok && [local.value.hostname, local.value.app, local.value.message], [
    "",
    "cron",
    "job done",
  ]);
  // December read on the first of January belongs to last year.
  const newYear = Date.UTC(2025, 0, 1, 0, 0, 5);
  const dec = parseSyslog("<13>Dec 31 23:59:59 h a: m", newYear);
  assertEquals(dec.ok && new Date(Number(dec.value.tsNs! / 1_000_000n)).getFullYear(), 2024);
});

Deno.test("parseSyslog refuses what is not syslog, with a reason", () => {
  for (
    const text of [
      "hello",
      "<>1 - - - - - -",
      "<192>1 - - - - - - x",
      "<013>1 - - - - - - x",
      "<13>1 2024-05-01 - - - - x",
      "<13>1 - h a",
      "<13>1 - h a p m [x y=z] msg",
      '<13>1 - h a p m [x y="z] msg',
      "<13>not a date at all",
      "<13>Foo 31 23:59:59 h a: m",
      "<13>Feb 30 10:00:00 h a: m",
    ]
  ) {
    const r = parseSyslog(text, NOW);
    assertEquals(r.ok, false, text);
    assertEquals(!r.ok && r.reason, "malformed", text);
  }
});

Deno.test("SEVERITY_LEVELS maps the eight severities to levels", () => {
  assertEquals(SEVERITY_LEVELS, [
    "fatal",
    "fatal",
    "fatal",
    "error",
    "warn",
    "info",
    "info",
    "debug",
  ]);
});
