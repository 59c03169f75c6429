import { assert, assertEquals, assertNotEquals } from "@tributary/shared/testing/asserts";
import { createSensorSimulator, METRICS, type SimReading } from "./generator.ts";

const options = { seed: 7, sensors: 24, site: "plant-1", sensorsPerLine: 8 };

function take(n: number, seed = 7): SimReading[] {
  const sim = createSensorSimulator({ ...options, seed });
  return Array.from({ length: n }, () => sim.next());
}

Deno.test("createSensorSimulator gives the same rows for the same seed and options", () => {
  assertEquals(take(500), take(500));
  assertNotEquals(take(50, 8), take(50));
});

Deno.test("createSensorSimulator reads sensors round-robin with ids, units and tags", () => {
  const rows = take(48);
  assertEquals(rows[0]?.sensor, "temp-000");
  assertEquals(rows[24]?.sensor, "temp-000");
  assertEquals(rows[1]?.metric, "humidity");
  assertEquals(rows[1]?.unit, "%");
  assertEquals(JSON.parse(rows[9]!.tags), { site: "plant-1", line: "2" });
  assertEquals(new Set(rows.map((r) => r.sensor)).size, 24);
});

Deno.test("createSensorSimulator values stay within plausible ranges and drift slowly", () => {
  const rows = take(24 * 2000);
  for (const metric of METRICS) {
    const values = rows.filter((r) => r.metric === metric.name).map((r) => r.value);
    for (const v of values) {
      assert(v >= metric.min && v <= metric.max, `${metric.name} ${v}`);
      assert(
        Math.abs(v - metric.mean) < metric.spread + 6 * metric.drift + 6 * metric.noise,
        `${metric.name} ${v}`,
      );
    }
  }
  const temps = rows.filter((r) => r.sensor === "temp-000").map((r) => r.value);
  const steps = temps.slice(1).map((v, i) => Math.abs(v - temps[i]!));
  const meanStep = steps.reduce((a, b) => a + b, 0) / steps.length;
  assert(meanStep < 0.5, `consecutive temperature readings jump ${meanStep} on average`);
  assert(new Set(temps).size > 100, "temperature does vary");
});
