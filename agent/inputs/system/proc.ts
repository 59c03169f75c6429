/**
 * Parsers for the Linux /proc files the `system` input reads. Each takes the
 * file's text and returns plain numbers; rates and percentages are computed
 * from two samples in collect.ts.
 *
 * @module
 */

/** Jiffies per CPU state, from one `cpu` line of /proc/stat. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** /proc/stat → CPU times by name (`cpu` is the total, then `cpu0`, `cpu1`, ...). */
export function parseProcStat(text: string): Map<string, CpuTimes> {
  const out = new Map<string, CpuTimes>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("cpu")) continue;
    const [name, ...rest] = line.trim().split(/\s+/);
    const n = rest.map(Number);
    if (!name || n.length < 4 || n.some((x) => !Number.isFinite(x))) continue;
    out.set(name, {
      user: n[0]!,
      nice: n[1]!,
      system: n[2]!,
      idle: n[3]!,
      iowait: n[4] ?? 0,
      irq: n[5] ?? 0,
      softirq: n[6] ?? 0,
      steal: n[7] ?? 0,
    });
  }
  return out;
}

/** /proc/meminfo → values in bytes by key (`MemTotal`, `MemAvailable`, ...). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (!m) continue;
    const value = Number(m[2]);
    out.set(m[1]!, line.trim().endsWith("kB") ? value * 1024 : value);
  }
  return out;
}

/** /proc/loadavg → the 1, 5 and 15 minute load averages. */
export function parseLoadavg(text: string): [number, number, number] | undefined {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => typeof x === "number" && Number.isFinite(x))) return undefined;
  return [a!, b!, c!];
}

/** Counters of one block device from /proc/diskstats. */
export interface DiskCounters {
  reads: number;
  readSectors: number;
  writes: number;
  writeSectors: number;
  /** Milliseconds spent doing I/O. */
  ioMs: number;
}

/** /proc/diskstats → counters by device name. */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.map(Number);
    out.set(f[2]!, {
      reads: n[3]!,
      readSectors: n[5]!,
      writes: n[7]!,
      writeSectors: n[9]!,
      ioMs: n[12]!,
    });
  }
  return out;
}

/** Counters of one network interface from /proc/net/dev. */
export interface NetCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** /proc/net/dev → counters by interface. */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    out.set(name, {
      rxBytes: n[0]!,
      rxPackets: n[1]!,
      rxErrors: n[2]!,
      rxDropped: n[3]!,
      txBytes: n[8]!,
      txPackets: n[9]!,
      txErrors: n[10]!,
      txDropped: n[11]!,
    });
  }
  return out;
}

/** One line of /proc/self/mounts. */
export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** /proc/self/mounts → mounts, octal escapes (`\040` for a space) decoded. */
export function parseMounts(text: string): Mount[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const [device, mountPoint, fsType] = line.trim().split(/\s+/);
    if (!device || !mountPoint || !fsType) continue;
    out.push({ device: unescape(device), mountPoint: unescape(mountPoint), fsType });
  }
  return out;
}
