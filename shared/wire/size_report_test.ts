import { assert, assertEquals } from "../testing/asserts.ts";
import { KINDS } from "../records.ts";
import { REPORT_SETTINGS, sizeReport } from "./size_report.ts";

Deno.test("sizeReport measures every kind and codec, and compression pays off", () => {
  const report = sizeReport(500, 1);
  assertEquals(report.length, KINDS.length * REPORT_SETTINGS.length);
  for (const kind of KINDS) {
    const rows = report.filter((r) => r.kind === kind);
    const none = rows.find((r) => r.codec === "none")!;
    const zstd = rows.find((r) => r.codec === "zstd-3")!;
    assert(zstd.bytesPerRow < none.bytesPerRow, `${kind}: zstd smaller than none`);
    assert(rows.every((r) => r.encodeRowsPerSecond > 0 && r.decodeRowsPerSecond > 0));
  }
});
