/**
 * The tail input against real `logrotate` (Debian package `logrotate`), run
 * with `-f` on a temp dir in both modes: `create` (rename, new file) and
 * `copytruncate` (copy, then truncate in place). A writer appends numbered
 * lines around three forced rotations; every line must arrive exactly once,
 * in order.
 */
import { assertEquals } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { tail } from "./mod.ts";

const LINES_PER_ROUND = 200;
const ROTATIONS = 3;

async function logrotate(dir: string, mode: "create" | "copytruncate"): Promise<void> {
  const conf = `${dir}/logrotate.conf`;
  await Deno.writeTextFile(
    conf,
    `${dir}/app.log {\n  rotate 5\n  ${mode}\n  missingok\n  nocompress\n}\n`,
  );
  // logrotate refuses a config writable by group or others.
  await Deno.chmod(conf, 0o644);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("logrotate", {
      args: ["-f", "-s", `${dir}/logrotate.state`, conf],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error("logrotate is missing: apt-get install -y logrotate", { cause: error });
  }
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `logrotate failed: ${stderr}`);
}

const line = (i: number) => `2024-05-01T00:00:00Z INFO request ${i} done`;

for (const mode of ["create", "copytruncate"] as const) {
  Deno.test(`tail follows logrotate ${mode}: every line exactly once`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/app.log`;
    await Deno.writeTextFile(path, "");
    const ctx = recordingContext();
    const input = tail.create(
      tail.validate(
        { paths: [path], poll_ms: 10, rescan_ms: 20, rotate_wait_ms: 100 },
        "inputs[0]",
      ),
      ctx,
    );
    let writer: Deno.FsFile | undefined;
    try {
      await input.start();
      const encoder = new TextEncoder();
      writer = await Deno.open(path, { append: true });
      let next = 0;
      for (let round = 0; round <= ROTATIONS; round++) {
        for (let i = 0; i < LINES_PER_ROUND; i++) {
          await writer.write(encoder.encode(line(next++) + "\n"));
        }
        if (round === ROTATIONS) break;
        // One rotation per generation, as in life (rotations are hours apart):
        // the input has followed the current file before it is rotated again,
        // but lines written just before the rotation are still unread.
        const written = next;
        await waitFor(() => ctx.rows.logs.length >= written, { message: `${written} lines read` });
        for (let i = 0; i < 50; i++) await writer.write(encoder.encode(line(next++) + "\n"));
        await logrotate(dir, mode);
        if (mode === "create") {
          // The old writer keeps writing into the renamed file for a moment...
          for (let i = 0; i < 20; i++) await writer.write(encoder.encode(line(next++) + "\n"));
          // ...then reopens the path, as a daemon does on SIGHUP.
          writer.close();
          writer = await Deno.open(path, { append: true });
        }
      }
      const total = next;
      await waitFor(() => ctx.rows.logs.length >= total, {
        message: `${total} lines read`,
        timeoutMs: 20_000,
      });
      await new Promise((r) => setTimeout(r, 300)); // duplicates would show up meanwhile
      const got = ctx.rows.logs.map((r) => r.message);
      assertEquals(got.length, total);
      assertEquals(got, Array.from({ length: total }, (_, i) => line(i)));
      const rotated = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        n.startsWith("app.log.")
      );
      assertEquals(rotated.length, ROTATIONS, `rotated files: ${rotated}`);
    } finally {
      writer?.close();
      await input.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
