import { assertEquals } from "@tributary/shared/testing/asserts";
import { parsePromText, sumBy, total } from "./prom_text.ts";

const PAGE = `# HELP tributary_hub_rows_total Rows stored.
# TYPE tributary_hub_rows_total counter
tributary_hub_rows_total{kind="readings"} 120
tributary_hub_rows_total{kind="logs"} 30
tributary_hub_quarantined_total{reason="bad \\"magic\\""} 2
tributary_hub_quarantined_total{reason="truncated"} 1
process_start_time_seconds 1700000000
bogus line here
tributary_hub_ingest_seconds_bucket{le="+Inf"} 7
`;

Deno.test("parsePromText reads names, labels with escapes and values, skipping comments and junk", () => {
  const samples = parsePromText(PAGE);
  assertEquals(samples.length, 6);
  assertEquals(samples[0], {
    name: "tributary_hub_rows_total",
    labels: { kind: "readings" },
    value: 120,
  });
  assertEquals(samples[2]!.labels, { reason: 'bad "magic"' });
  assertEquals(samples[4], { name: "process_start_time_seconds", labels: {}, value: 1700000000 });
  assertEquals(samples[5]!.labels, { le: "+Inf" });
});

Deno.test("sumBy groups by a label and total adds everything", () => {
  const samples = parsePromText(PAGE);
  assertEquals(sumBy(samples, "tributary_hub_rows_total", "kind"), { readings: 120, logs: 30 });
  assertEquals(total(samples, "tributary_hub_quarantined_total"), 3);
  assertEquals(total(samples, "absent_total"), 0);
});
