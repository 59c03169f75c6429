import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { type RecordingContext, recordingContext } from "../testing/context.ts";
import { tail, type TailConfig } from "./mod.ts";
import { checkpointName, decodePosition } from "./position.ts";

/** A fast-polling config for `dir/*.log`. */
function fastConfig(dir: string, extra: Record<string, unknown> = {}): TailConfig {
  return tail.validate(
    { paths: [`${dir}/*.log`], poll_ms: 10, rescan_ms: 20, rotate_wait_ms: 300, ...extra },
    "inputs[0]",
  );
}

async function append(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { append: true });
}

/** Appends `line <from>` .. `line <to - 1>`, each terminated. */
async function appendLines(path: string, from: number, to: number): Promise<void> {
  await append(path, numbered(from, to).join("\n") + "\n");
}

/** What {@linkcode withLogDir} hands a test. */
interface LogDir {
  dir: string;
  /** `<dir>/app.log`, created empty unless `create` is false. */
  path: string;
  ctx: RecordingContext;
}

/** Runs `fn` with a fresh temp dir and recording context; removes the dir afterwards, also on failure. */
async function withLogDir(
  fn: (logDir: LogDir) => Promise<void>,
  { create = true }: { create?: boolean } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/app.log`;
    if (create) await Deno.writeTextFile(path, "");
    await fn({ dir, path, ctx: recordingContext() });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function messages(ctx: RecordingContext): string[] {
  return ctx.rows.logs.map((r) => r.message);
}

async function withTail(
  config: TailConfig,
  ctx: RecordingContext,
  body: () => Promise<void>,
): Promise<void> {
  const input = tail.create(config, ctx);
  try {
    await input.start();
    await body();
  } finally {
    await input.stop();
  }
}

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

Deno.test("tail starts at the end of existing files by default and follows appends", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await Deno.writeTextFile(path, "old 1\nold 2\n");
    await withTail(fastConfig(dir), ctx, async () => {
      await append(path, "new 1\nERROR new 2\npart");
      await waitFor(() => ctx.rows.logs.length === 2, { message: "2 new lines" });
      assertEquals(messages(ctx), ["new 1", "ERROR new 2"]);
      assertEquals(ctx.rows.logs.map((r) => r.level), ["info", "error"]);
      assertEquals(JSON.parse(ctx.rows.logs[1]!.fields), { file: path, offset: 18 });
      assertEquals(ctx.rows.logs[0]!.source, path);
      await append(path, "ial\n");
      await waitFor(() => ctx.rows.logs.length === 3, { message: "the completed line" });
      assertEquals(messages(ctx)[2], "partial");
    });
    const saved = decodePosition(ctx.checkpoints.get(checkpointName(path)));
    assertEquals(saved?.offset, (await Deno.stat(path)).size);
  });
});

Deno.test("tail with start_at beginning reads whole files, and new files from their beginning", async () => {
  await withLogDir(async ({ dir, ctx }) => {
    await Deno.writeTextFile(`${dir}/a.log`, "a1\na2\n");
    await Deno.writeTextFile(`${dir}/skip.txt`, "not matched\n");
    await withTail(fastConfig(dir, { start_at: "beginning" }), ctx, async () => {
      await waitFor(() => ctx.rows.logs.length === 2);
      await Deno.writeTextFile(`${dir}/b.log`, "b1\n");
      await waitFor(() => ctx.rows.logs.length === 3, { message: "the new file's line" });
    });
    assertEquals(messages(ctx), ["a1", "a2", "b1"]);
  }, { create: false });
});

Deno.test("tail follows rotation by rename: the old file's tail, then the new file, each line once", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir), ctx, async () => {
      await appendLines(path, 0, 100);
      await waitFor(() => ctx.rows.logs.length === 100);
      // The writer still holds the old file: lines written after the rename and
      // an unterminated last line belong to the old file.
      const writer = await Deno.open(path, { append: true });
      await Deno.rename(path, `${dir}/app.log.1`);
      await writer.write(new TextEncoder().encode(numbered(100, 150).join("\n") + "\nline 150"));
      writer.close();
      await Deno.writeTextFile(path, numbered(151, 200).join("\n") + "\n");
      await waitFor(() => ctx.rows.logs.length === 200, { message: "200 lines" });
    });
    assertEquals(messages(ctx), numbered(0, 200));
  });
});

Deno.test("tail follows truncation (copytruncate) and reads the file again from 0", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir), ctx, async () => {
      await appendLines(path, 0, 50);
      await waitFor(() => ctx.rows.logs.length === 50);
      await Deno.truncate(path, 0);
      await waitFor(() => decodePosition(ctx.checkpoints.get(checkpointName(path)))?.offset === 0, {
        message: "offset reset to 0",
      });
      await appendLines(path, 50, 60);
      await waitFor(() => ctx.rows.logs.length === 60);
    });
    assertEquals(messages(ctx), numbered(0, 60));
  });
});

Deno.test("tail notices a file truncated and written past its read position between two polls", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir, { poll_ms: 300 }), ctx, async () => {
      await appendLines(path, 0, 5);
      await waitFor(() => ctx.rows.logs.length === 5);
      // Both within one poll interval: the size alone would hide the truncation.
      await Deno.writeTextFile(path, numbered(5, 20).join("\n") + "\n");
      await waitFor(() => ctx.rows.logs.length >= 20, { message: "the rewritten file's lines" });
    });
    assertEquals(messages(ctx), numbered(0, 20));
  });
});

Deno.test("tail notices a copytruncate followed by writes of exactly the length read", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir, { poll_ms: 300 }), ctx, async () => {
      await appendLines(path, 0, 5);
      await waitFor(() => ctx.rows.logs.length === 5);
      // Within one poll interval: two more lines, the copy, the truncation, and
      // new lines as long as the five read, so the size is where it was.
      await appendLines(path, 5, 7);
      await Deno.copyFile(path, `${path}.1`);
      const rewritten = ["line 7", "line 8", "line 9", "line x", "line y"];
      await Deno.writeTextFile(path, rewritten.join("\n") + "\n");
      assertEquals((await Deno.stat(path)).size, numbered(0, 5).join("\n").length + 1);
      await waitFor(() => ctx.rows.logs.length >= 12, { message: "the copy's and the new lines" });
      await new Promise((r) => setTimeout(r, 400)); // a second poll must not repeat them
      assertEquals(messages(ctx), [...numbered(0, 7), ...rewritten]);
    });
  });
});

Deno.test("tail joins multi-line records by a start pattern, closing the last after a timeout", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    const config = fastConfig(dir, { multiline_start: "^\\d{4}-", multiline_timeout_ms: 100 });
    await withTail(config, ctx, async () => {
      await append(
        path,
        "2024-01-01 ERROR boom\n  at a()\n  at b()\n2024-01-01 INFO ok\n2024-01-01 WARN last\n  more\n",
      );
      await waitFor(() => ctx.rows.logs.length === 2, { message: "two closed records" });
      // The open record is not checkpointed: a restart would read it again.
      const offset = decodePosition(ctx.checkpoints.get(checkpointName(path)))?.offset;
      assertEquals(
        offset,
        "2024-01-01 ERROR boom\n  at a()\n  at b()\n2024-01-01 INFO ok\n".length,
      );
      await waitFor(() => ctx.rows.logs.length === 3, {
        message: "the last record after the timeout",
      });
    });
    assertEquals(messages(ctx), [
      "2024-01-01 ERROR boom\n  at a()\n  at b()",
      "2024-01-01 INFO ok",
      "2024-01-01 WARN last\n  more",
    ]);
    assertEquals(ctx.rows.logs.map((r) => r.level), ["error", "info", "warn"]);
    assertEquals(JSON.parse(ctx.rows.logs[0]!.fields).lines, 3);
  });
});

Deno.test("tail pauses while the buffer refuses (policy block) and loses nothing", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir), ctx, async () => {
      ctx.failWrites = new RetryableError("budget_full", "buffer full");
      await appendLines(path, 0, 30);
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(ctx.rows.logs.length, 0);
      await appendLines(path, 30, 40);
      ctx.failWrites = undefined;
      await waitFor(() => ctx.rows.logs.length === 40, { message: "all rows after the pause" });
    });
    assertEquals(messages(ctx), numbered(0, 40));
  });
});

/**
 * Restarts: the first run reads 10 lines; while it is stopped, 10 more are
 * appended and the file changes as the case says; the second run must read
 * every line exactly once.
 */
const restartCases: {
  name: string;
  /** Changes `path` while the input is stopped (after lines 10..19 were appended). */
  whileStopped: (dir: string, path: string) => Promise<void>;
  /** Lines expected in all. */
  total: number;
}[] = [
  {
    name:
      "tail resumes from its checkpoint after a restart, also when the file was rotated meanwhile",
    // A rotation, then a new file.
    whileStopped: async (dir, path) => {
      await Deno.rename(path, `${dir}/app.log.1`);
      await Deno.writeTextFile(path, numbered(20, 25).join("\n") + "\n");
    },
    total: 25,
  },
  {
    name: "tail after a restart reads the rest of a file copytruncated while it was stopped",
    // logrotate copytruncate, then new lines in the truncated file, longer than
    // before (the size alone would not show the truncation).
    whileStopped: async (dir, path) => {
      await Deno.copyFile(path, `${dir}/app.log.1`);
      await Deno.writeTextFile(path, numbered(20, 45).join("\n") + "\n");
    },
    total: 45,
  },
];

for (const { name, whileStopped, total } of restartCases) {
  Deno.test(name, async () => {
    await withLogDir(async ({ dir, path, ctx }) => {
      await withTail(fastConfig(dir), ctx, async () => {
        await appendLines(path, 0, 10);
        await waitFor(() => ctx.rows.logs.length === 10);
      });
      await appendLines(path, 10, 20);
      await whileStopped(dir, path);
      await withTail(fastConfig(dir), ctx, async () => {
        await waitFor(() => ctx.rows.logs.length >= total, { message: `${total} lines` });
        await new Promise((r) => setTimeout(r, 100)); // repeats would show up meanwhile
      });
      assertEquals(messages(ctx), numbered(0, total));
    });
  });
}

Deno.test("tail rejects junk lines with a reason and keeps the good lines around them", async () => {
  await withLogDir(async ({ dir, path, ctx }) => {
    await withTail(fastConfig(dir, { max_line_bytes: 64 }), ctx, async () => {
      const parts = [
        new TextEncoder().encode("good 1\n"),
        new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]),
        new Uint8Array([0x00, 0x01, 0x02, 0xff, 0x0a]),
        new TextEncoder().encode("x".repeat(200) + "\n"),
        new TextEncoder().encode("good 2\n"),
      ];
      const file = await Deno.open(path, { append: true });
      for (const part of parts) await file.write(part);
      file.close();
      await waitFor(() => ctx.rows.logs.length === 2);
    });
    assertEquals(messages(ctx), ["good 1", "good 2"]);
    assertEquals(Object.fromEntries(ctx.rejections), { invalid_utf8: 1, binary: 1, too_large: 1 });
    assert(decodePosition(ctx.checkpoints.get(checkpointName(path)))!.offset > 200);
  });
});

Deno.test("tail stop is safe before start and twice", async () => {
  const input = tail.create(
    tail.validate({ paths: ["/nonexistent/*.log"] }, "in"),
    recordingContext(),
  );
  await input.stop();
  await input.stop();
});
