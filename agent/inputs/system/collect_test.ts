import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { nowNs, type Reading } from "@tributary/shared/records";
import { createCollector } from "./collect.ts";
import { parseDiskstats, parseNetDev } from "./proc.ts";
import { defaultSystemInputConfig } from "./config.ts";

function options() {
  const d = defaultSystemInputConfig();
  return {
    procRoot: "/proc",
    collect: d.collect,
    host: "test-host",
    disks: [],
    interfaces: [],
    fsTypes: d.fs_types,
    mountPoints: ["/"],
    perCpu: true,
  };
}

function find(readings: Reading[], sensor: string, metric: string): Reading | undefined {
  return readings.find((r) => r.sensor === sensor && r.metric === metric);
}

Deno.test("createCollector reads this machine's /proc: gauges at once, rates from the second sample", async () => {
  const collector = createCollector(options());
  const first = await collector.collect(nowNs());
  assert(first.errors.length === 0, first.errors.join("; "));
  // Gauges are there at once; counter rates need two samples.
  assert(find(first.readings, "cpu", "usage_total") === undefined);
  const memTotal = find(first.readings, "mem", "total");
  assert(memTotal && memTotal.value > 0 && memTotal.unit === "bytes");
  assert(find(first.readings, "load", "load1"));
  const rootUsed = find(first.readings, "fs:/", "used_percent");
  assert(rootUsed && rootUsed.value > 0 && rootUsed.value < 100, `${rootUsed?.value}`);
  assert(JSON.parse(rootUsed.tags).host === "test-host");
  // Burn a little CPU so the totals move.
  const until = Date.now() + 200;
  while (Date.now() < until) Math.sqrt(Math.random());
  const second = await collector.collect(nowNs());
  const cpu = find(second.readings, "cpu", "usage_total");
  assert(cpu && cpu.value >= 0 && cpu.value <= 100, `${cpu?.value}`);
  assert(find(second.readings, "cpu0", "usage_idle"));
  // Every interface but lo and every disk but the skipped kinds, as this
  // machine's /proc lists them, is reported (an empty list would prove nothing).
  const sensorsOf = (prefix: string) =>
    new Set(second.readings.filter((r) => r.sensor.startsWith(prefix)).map((r) => r.sensor));
  const interfaces = [...parseNetDev(await Deno.readTextFile("/proc/net/dev")).keys()]
    .filter((i) => i !== "lo").map((i) => `net:${i}`);
  assertEquals([...sensorsOf("net:")].sort(), interfaces.sort());
  const disks = [...parseDiskstats(await Deno.readTextFile("/proc/diskstats")).keys()]
    .filter((d) => !/^(loop|ram|zram|sr|fd)\d*$/.test(d)).map((d) => `disk:${d}`);
  assertEquals([...sensorsOf("disk:")].sort(), disks.sort());
  const rates = second.readings.filter((r) => /^(net|disk):/.test(r.sensor));
  assert(rates.every((r) => r.value >= 0), "rates are never negative");
  assert(second.readings.length > 0 && second.readings.every((r) => Number.isFinite(r.value)));
});

Deno.test("createCollector reports an unreadable group as an error and goes on", async () => {
  const collector = createCollector({ ...options(), procRoot: "/nonexistent" });
  const sample = await collector.collect(nowNs());
  assert(sample.errors.some((e) => e.startsWith("mem:")));
  assert(sample.readings.length === 0);
});
