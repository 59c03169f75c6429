/**
 * The syslog input against util-linux `logger` as a real peer: RFC 5424 and
 * RFC 3164, over UDP and TCP, with octet-counting and newline framing.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import type { LogLine } from "@tributary/shared/records";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { syslog } from "./mod.ts";

async function logger(args: string[]): Promise<void> {
  const out = await new Deno.Command("logger", { args, stdout: "piped", stderr: "piped" }).output();
  assertEquals(out.code, 0, `logger ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

function fieldsOf(row: LogLine): Record<string, unknown> {
  return JSON.parse(row.fields);
}

Deno.test("syslog receives logger messages over UDP and TCP in both formats", async () => {
  const ctx = recordingContext();
  const input = syslog.create(
    syslog.validate(
      { udp_listen: "127.0.0.1:0", tcp_listen: "127.0.0.1:0", flush_ms: 10 },
      "inputs[0]",
    ),
    ctx,
  );
  try {
    await input.start();
    const { udp, tcp } = input.addresses();
    const base = ["-n", "127.0.0.1", "-t", "myapp"];
    const cases: { args: string[]; message: string }[] = [
      {
        args: [...base, "-P", `${udp!.port}`, "-d", "--rfc5424", "-p", "local3.warning"],
        message: "udp 5424 warning",
      },
      {
        args: [...base, "-P", `${udp!.port}`, "-d", "--rfc3164", "-p", "auth.err"],
        message: "udp 3164 error",
      },
      {
        args: [
          ...base,
          "-P",
          `${tcp!.port}`,
          "-T",
          "--rfc5424",
          "--octet-count",
          "-p",
          "daemon.crit",
          "--msgid",
          "ID47",
          "--sd-id",
          "order@32473",
          "--sd-param",
          'id="42"',
        ],
        message: "tcp 5424 octet-counted crit",
      },
      {
        args: [...base, "-P", `${tcp!.port}`, "-T", "--rfc3164", "-p", "user.debug"],
        message: "tcp 3164 newline-framed debug",
      },
      {
        args: [...base, "-P", `${tcp!.port}`, "-T", "--rfc5424", "-p", "local7.info", "-i"],
        message: "tcp 5424 newline-framed info with pid",
      },
    ];
    for (const c of cases) await logger([...c.args, c.message]);
    await waitFor(() => ctx.rows.logs.length >= cases.length, { message: "all logger messages" });
    const byMessage = new Map(ctx.rows.logs.map((r) => [r.message, r]));
    assertEquals([...byMessage.keys()].sort(), cases.map((c) => c.message).sort());

    const warn = byMessage.get("udp 5424 warning")!;
    assertEquals([warn.level, warn.source], ["warn", "myapp"]);
    const wf = fieldsOf(warn);
    assertEquals([wf.facility, wf.severity, wf.format, wf.transport], [
      "local3",
      "warning",
      "rfc5424",
      "udp",
    ]);
    assertEquals(wf.host, Deno.hostname());
    // logger's own structured data (timeQuality) is kept.
    assert(typeof wf.sd === "object" && wf.sd !== null && "timeQuality" in wf.sd, warn.fields);
    const err = byMessage.get("udp 3164 error")!;
    assertEquals([err.level, fieldsOf(err).facility, fieldsOf(err).format], [
      "error",
      "auth",
      "rfc3164",
    ]);
    const crit = byMessage.get("tcp 5424 octet-counted crit")!;
    assertEquals(crit.level, "fatal");
    const cf = fieldsOf(crit);
    assertEquals([cf.msgid, cf.transport, (cf.sd as Record<string, unknown>)["order@32473"]], [
      "ID47",
      "tcp",
      { id: "42" },
    ]);
    assertEquals(byMessage.get("tcp 3164 newline-framed debug")!.level, "debug");
    const info = byMessage.get("tcp 5424 newline-framed info with pid")!;
    assertEquals([info.level, fieldsOf(info).facility], ["info", "local7"]);
    assert(/^\d+$/.test(String(fieldsOf(info).procid)), info.fields);
    // Event times come from the messages and are close to now.
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const row of ctx.rows.logs) {
      assert(row.ts <= now + 5_000_000_000n && row.ts >= now - 60_000_000_000n, `${row.ts}`);
    }
    assertEquals(ctx.rejections.size, 0);
  } finally {
    await input.stop();
  }
});

Deno.test("syslog takes many logger messages over one TCP connection, in order", async () => {
  const ctx = recordingContext();
  const input = syslog.create(
    syslog.validate({ udp_listen: "", tcp_listen: "127.0.0.1:0", flush_ms: 10 }, "inputs[0]"),
    ctx,
  );
  const dir = await Deno.makeTempDir();
  try {
    await input.start();
    const port = input.addresses().tcp!.port;
    const lines = Array.from({ length: 500 }, (_, i) => `message ${i}`);
    await Deno.writeTextFile(`${dir}/in.txt`, lines.join("\n") + "\n");
    // logger sends one message per line of the file, all over one connection.
    await logger([
      "-n",
      "127.0.0.1",
      "-P",
      `${port}`,
      "-T",
      "--octet-count",
      "--rfc5424",
      "-f",
      `${dir}/in.txt`,
    ]);
    await waitFor(() => ctx.rows.logs.length >= lines.length, { message: "500 messages" });
    assertEquals(ctx.rows.logs.map((r) => r.message), lines);
  } finally {
    await input.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
