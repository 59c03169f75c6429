import { assertEquals } from "@tributary/shared/testing/asserts";
import {
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
} from "./proc.ts";

Deno.test("parseProcStat reads the total and per-CPU lines", () => {
  const stat = parseProcStat(
    "cpu  10 1 5 100 2 0 1 0 0 0\ncpu0 5 0 2 50 1 0 0 0 0 0\nintr 1 2 3\nctxt 99\n",
  );
  assertEquals([...stat.keys()], ["cpu", "cpu0"]);
  assertEquals(stat.get("cpu"), {
    user: 10,
    nice: 1,
    system: 5,
    idle: 100,
    iowait: 2,
    irq: 0,
    softirq: 1,
    steal: 0,
  });
});

Deno.test("parseMeminfo converts kB to bytes", () => {
  const m = parseMeminfo(
    "MemTotal:        1000 kB\nMemAvailable:     250 kB\nHugePages_Total:       0\n",
  );
  assertEquals(m.get("MemTotal"), 1_024_000);
  assertEquals(m.get("MemAvailable"), 256_000);
  assertEquals(m.get("HugePages_Total"), 0);
});

Deno.test("parseLoadavg reads three averages", () => {
  assertEquals(parseLoadavg("0.12 0.30 0.25 1/123 4567\n"), [0.12, 0.3, 0.25]);
  assertEquals(parseLoadavg("junk"), undefined);
});

Deno.test("parseDiskstats and parseNetDev read counters by name", () => {
  const disks = parseDiskstats(
    " 254       0 vda 1000 10 80000 500 2000 20 160000 900 0 1200 1400 0 0 0 0 0 0\n",
  );
  assertEquals(disks.get("vda"), {
    reads: 1000,
    readSectors: 80000,
    writes: 2000,
    writeSectors: 160000,
    ioMs: 1200,
  });
  const net = parseNetDev(
    "Inter-|   Receive\n face |bytes\n  eth0: 100 2 0 0 0 0 0 0 300 4 1 0 0 0 0 0\n",
  );
  assertEquals(net.get("eth0"), {
    rxBytes: 100,
    rxPackets: 2,
    rxErrors: 0,
    rxDropped: 0,
    txBytes: 300,
    txPackets: 4,
    txErrors: 1,
    txDropped: 0,
  });
});

Deno.test("parseMounts decodes octal escapes", () => {
  assertEquals(parseMounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n"), [
    { device: "/dev/sdb1", mountPoint: "/mnt/my disk", fsType: "ext4" },
  ]);
});
