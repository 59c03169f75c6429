/** Keeps docs/wire-format.md honest: its schema tables and worked example must match the code. */
import { assert, assertEquals } from "../testing/asserts.ts";
import { type Batch, bodyColumns, KINDS } from "../records.ts";
import { arrowTypeName } from "./arrow_schema.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import { decodeBatch } from "./mod.ts";

const doc = Deno.readTextFileSync(new URL("../../docs/wire-format.md", import.meta.url));

function between(start: string, end: string): string {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end, from);
  assert(from >= 0 && to > from, `markers ${start} .. ${end} in the doc`);
  return doc.slice(from + start.length, to);
}

Deno.test("docs/wire-format.md lists each stream's columns exactly as records.ts does", () => {
  const tables = between("<!-- schema tables:", "<!-- end schema tables -->");
  for (const kind of KINDS) {
    const section = tables.split(`#### ${kind}\n`)[1]!.split("####")[0]!;
    // Cells, not raw lines: deno fmt pads markdown tables.
    const rows = section.split("\n").filter((line) => /^\| \d/.test(line)).map((line) =>
      line.split("|").slice(1, -1).map((cell) => cell.trim())
    );
    assertEquals(
      rows,
      bodyColumns(kind).map((c, i) => [`${i}`, `\`${c.name}\``, c.type, arrowTypeName(c.type)]),
      kind,
    );
  }
});

Deno.test("docs/wire-format.md worked example decodes to the rows it describes", () => {
  const hexDump = between("<!-- example hex:", "```\n\nHeader").split("```text\n")[1]!;
  const bytes = new Uint8Array(
    hexDump.trim().split("\n").flatMap((line) =>
      line.slice(6).trim().split(" ").map((h) => parseInt(h, 16))
    ),
  );
  const expected: Batch = {
    agent: "edge-01",
    stream: "readings",
    firstSeq: 41n,
    lastSeq: 42n,
    rowCount: 2,
    columns: {
      seq: new BigInt64Array([41n, 42n]),
      ts: new BigInt64Array([1735689600000000000n, 1735689601000000000n]),
      recv_ts: new BigInt64Array([1735689600000250000n, 1735689601000250000n]),
      sensor: ["t1", "t1"],
      metric: ["temperature", "temperature"],
      value: new Float64Array([21.5, 21.75]),
      unit: ["degC", "degC"],
      tags: ['{"site":"lab"}', '{"site":"lab"}'],
    },
  };
  const { envelope, batch } = decodeBatch(bytes);
  assertEquals(batch, expected);
  assertEquals(bytes.length, 514);
  assertEquals([envelope.bodyLength, envelope.rawBodyLength], [459, 1224]);
  assertEquals(envelope.checksum, 0xb7a83f60);
  assertEquals(encodeArrowBody(expected).length, 1224);
});
