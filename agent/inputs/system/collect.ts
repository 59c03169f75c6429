/**
 * Collects host metrics from /proc (and statfs for filesystems) as readings.
 * Counters (CPU jiffies, disk and network I/O) become rates from the
 * difference to the previous sample, so the first sample has none of them.
 *
 * | sensor           | metrics (unit)                                                                |
 * |------------------|-------------------------------------------------------------------------------|
 * | `cpu`, `cpuN`    | usage_user, usage_system, usage_iowait, usage_steal, usage_idle, usage_total (percent) |
 * | `mem`            | total, available, used, swap_total, swap_used (bytes); used_percent (percent) |
 * | `load`           | load1, load5, load15                                                          |
 * | `disk:<dev>`     | read_bytes_per_s, write_bytes_per_s (bytes/s); reads_per_s, writes_per_s (1/s); util_percent (percent) |
 * | `net:<iface>`    | rx_bytes_per_s, tx_bytes_per_s (bytes/s); rx_packets_per_s, tx_packets_per_s, rx_errors_per_s, tx_errors_per_s, rx_dropped_per_s, tx_dropped_per_s (1/s) |
 * | `fs:<mount>`     | total, free, used (bytes); used_percent, inodes_used_percent (percent)        |
 *
 * Every reading is tagged `{"host": <host>}`; filesystems add `device` and `fstype`.
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { Reading } from "@tributary/shared/records";
import {
  type CpuTimes,
  type DiskCounters,
  type NetCounters,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
} from "./proc.ts";

/** What to collect and where. */
export interface CollectorOptions {
  /** Root of the proc filesystem. @default "/proc" */
  procRoot: string;
  /** Groups to collect: cpu, mem, load, disk, net, fs. */
  collect: readonly string[];
  /** Value of the `host` tag. */
  host: string;
  /** Block devices to report; empty = all but loop, ram, zram, sr, fd. */
  disks: readonly string[];
  /** Interfaces to report; empty = all but `lo`. */
  interfaces: readonly string[];
  /** Filesystem types to report (mount points of other types are skipped). */
  fsTypes: readonly string[];
  /** Mount points to report; empty = every mount of an `fsTypes` type. */
  mountPoints: readonly string[];
  /** Also report each CPU (`cpu0`, ...), not only the total. */
  perCpu: boolean;
}

/** A collector keeping the previous sample for rates. */
export interface Collector {
  /** One sample's readings at `now` (ns); problems reading a group are returned, not thrown. */
  collect(now: bigint): Promise<{ readings: Reading[]; errors: string[] }>;
}

interface Previous {
  at: bigint;
  cpu: Map<string, CpuTimes>;
  disks: Map<string, DiskCounters>;
  net: Map<string, NetCounters>;
}

const SKIPPED_DISKS = /^(loop|ram|zram|sr|fd)\d*$/;

/** Creates a collector. */
export function createCollector(options: CollectorOptions): Collector {
  let previous: Previous | undefined;
  const wants = (group: string) => options.collect.includes(group);
  const read = (file: string) => Deno.readTextFile(join(options.procRoot, file));

  return {
    async collect(now) {
      const readings: Reading[] = [];
      const errors: string[] = [];
      const tags = JSON.stringify({ host: options.host });
      const push = (sensor: string, metric: string, value: number, unit: string, t = tags) => {
        if (Number.isFinite(value)) {
          readings.push({ ts: now, recv_ts: now, sensor, metric, value, unit, tags: t });
        }
      };
      const seconds = previous ? Number(now - previous.at) / 1e9 : 0;
      const current: Previous = { at: now, cpu: new Map(), disks: new Map(), net: new Map() };
      const guard = async (group: string, fn: () => Promise<void>) => {
        if (!wants(group)) return;
        try {
          await fn();
        } catch (error) {
          errors.push(`${group}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };

      await guard("cpu", async () => {
        current.cpu = parseProcStat(await read("stat"));
        for (const [name, t] of current.cpu) {
          if (name !== "cpu" && !options.perCpu) continue;
          const p = previous?.cpu.get(name);
          if (!p) continue;
          const d = (k: keyof CpuTimes) => Math.max(0, t[k] - p[k]);
          const total = (Object.keys(t) as (keyof CpuTimes)[]).reduce((s, k) => s + d(k), 0);
          if (total === 0) continue;
          const pct = (x: number) => (100 * x) / total;
          push(name, "usage_user", pct(d("user") + d("nice")), "percent");
          push(name, "usage_system", pct(d("system") + d("irq") + d("softirq")), "percent");
          push(name, "usage_iowait", pct(d("iowait")), "percent");
          push(name, "usage_steal", pct(d("steal")), "percent");
          push(name, "usage_idle", pct(d("idle")), "percent");
          push(name, "usage_total", 100 - pct(d("idle") + d("iowait")), "percent");
        }
      });

      await guard("mem", async () => {
        const m = parseMeminfo(await read("meminfo"));
        const total = m.get("MemTotal");
        if (total === undefined) throw new Error("no MemTotal in meminfo");
        const available = m.get("MemAvailable") ??
          (m.get("MemFree") ?? 0) + (m.get("Buffers") ?? 0) + (m.get("Cached") ?? 0);
        push("mem", "total", total, "bytes");
        push("mem", "available", available, "bytes");
        push("mem", "used", total - available, "bytes");
        push("mem", "used_percent", total > 0 ? (100 * (total - available)) / total : 0, "percent");
        const swapTotal = m.get("SwapTotal") ?? 0;
        push("mem", "swap_total", swapTotal, "bytes");
        push("mem", "swap_used", swapTotal - (m.get("SwapFree") ?? 0), "bytes");
      });

      await guard("load", async () => {
        const load = parseLoadavg(await read("loadavg"));
        if (!load) throw new Error("unreadable loadavg");
        push("load", "load1", load[0], "");
        push("load", "load5", load[1], "");
        push("load", "load15", load[2], "");
      });

      await guard("disk", async () => {
        for (const [dev, c] of parseDiskstats(await read("diskstats"))) {
          const wanted = options.disks.length > 0
            ? options.disks.includes(dev)
            : !SKIPPED_DISKS.test(dev);
          if (!wanted) continue;
          current.disks.set(dev, c);
          const p = previous?.disks.get(dev);
          if (!p || seconds <= 0) continue;
          const rate = (a: number, b: number) => Math.max(0, a - b) / seconds;
          const s = `disk:${dev}`;
          push(s, "read_bytes_per_s", rate(c.readSectors, p.readSectors) * 512, "bytes/s");
          push(s, "write_bytes_per_s", rate(c.writeSectors, p.writeSectors) * 512, "bytes/s");
          push(s, "reads_per_s", rate(c.reads, p.reads), "1/s");
          push(s, "writes_per_s", rate(c.writes, p.writes), "1/s");
          push(s, "util_percent", Math.min(100, rate(c.ioMs, p.ioMs) / 10), "percent");
        }
      });

      await guard("net", async () => {
        for (const [iface, c] of parseNetDev(await read("net/dev"))) {
          const wanted = options.interfaces.length > 0
            ? options.interfaces.includes(iface)
            : iface !== "lo";
          if (!wanted) continue;
          current.net.set(iface, c);
          const p = previous?.net.get(iface);
          if (!p || seconds <= 0) continue;
          const rate = (k: keyof NetCounters) => Math.max(0, c[k] - p[k]) / seconds;
          const s = `net:${iface}`;
          push(s, "rx_bytes_per_s", rate("rxBytes"), "bytes/s");
          push(s, "tx_bytes_per_s", rate("txBytes"), "bytes/s");
          push(s, "rx_packets_per_s", rate("rxPackets"), "1/s");
          push(s, "tx_packets_per_s", rate("txPackets"), "1/s");
          push(s, "rx_errors_per_s", rate("rxErrors"), "1/s");
          push(s, "tx_errors_per_s", rate("txErrors"), "1/s");
          push(s, "rx_dropped_per_s", rate("rxDropped"), "1/s");
          push(s, "tx_dropped_per_s", rate("txDropped"), "1/s");
        }
      });

      await guard("fs", async () => {
        const seen = new Set<string>();
        for (const m of parseMounts(await read("self/mounts"))) {
          const wanted = options.mountPoints.length > 0
            ? options.mountPoints.includes(m.mountPoint)
            : options.fsTypes.includes(m.fsType);
          if (!wanted || seen.has(m.mountPoint)) continue;
          seen.add(m.mountPoint);
          let st;
          try {
            st = await statfs(m.mountPoint);
          } catch (error) {
            errors.push(`fs ${m.mountPoint}: ${error instanceof Error ? error.message : error}`);
            continue;
          }
          const total = st.blocks * st.bsize;
          const free = st.bavail * st.bsize;
          // Used as df counts it: total minus all free blocks (root's reserve included).
          const used = (st.blocks - st.bfree) * st.bsize;
          const fsTags = JSON.stringify({ host: options.host, device: m.device, fstype: m.fsType });
          const s = `fs:${m.mountPoint}`;
          push(s, "total", total, "bytes", fsTags);
          push(s, "free", free, "bytes", fsTags);
          push(s, "used", used, "bytes", fsTags);
          push(
            s,
            "used_percent",
            used + free > 0 ? (100 * used) / (used + free) : 0,
            "percent",
            fsTags,
          );
          if (st.files > 0) {
            push(
              s,
              "inodes_used_percent",
              (100 * (st.files - st.ffree)) / st.files,
              "percent",
              fsTags,
            );
          }
        }
      });

      previous = current;
      return { readings, errors };
    },
  };
}
