/**
 * Config of the `system` input: defaults and validation. Every option is
 * documented in README.md beside this file; sample.toml holds the defaults.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readBool,
  readInt,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";

/** The metric groups the input can collect. */
export const GROUPS = ["cpu", "mem", "load", "disk", "net", "fs"] as const;

/** Config of a `system` input. */
export interface SystemInputConfig {
  /** Seconds between samples. @default 10 */
  interval_s: number;
  /** Groups to collect. @default ["cpu", "mem", "load", "disk", "net", "fs"] */
  collect: string[];
  /** Also report each CPU, not only the total. @default false */
  per_cpu: boolean;
  /** Block devices; [] = all but loop, ram, zram, sr, fd. @default [] */
  disks: string[];
  /** Network interfaces; [] = all but lo. @default [] */
  interfaces: string[];
  /** Filesystem types reported when `mount_points` is empty. @default ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat", "ntfs", "ntfs3"] */
  fs_types: string[];
  /** Mount points; [] = every mount of a type in `fs_types`. @default [] */
  mount_points: string[];
  /** `host` tag; "" = this machine's hostname. @default "" */
  host: string;
  /** Root of the proc filesystem (for containers with the host's /proc mounted elsewhere). @default "/proc" */
  proc_root: string;
}

const OPTIONS = [
  "type",
  "interval_s",
  "collect",
  "per_cpu",
  "disks",
  "interfaces",
  "fs_types",
  "mount_points",
  "host",
  "proc_root",
] as const;

/** The defaults. */
export function defaultSystemInputConfig(): SystemInputConfig {
  return {
    interval_s: 10,
    collect: [...GROUPS],
    per_cpu: false,
    disks: [],
    interfaces: [],
    fs_types: [
      "ext2",
      "ext3",
      "ext4",
      "xfs",
      "btrfs",
      "zfs",
      "f2fs",
      "vfat",
      "exfat",
      "ntfs",
      "ntfs3",
    ],
    mount_points: [],
    host: "",
    proc_root: "/proc",
  };
}

function readStrings(value: unknown, field: string, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    throw new ConfigError(field, value, "a list of non-empty strings");
  }
  return value as string[];
}

/**
 * Validates an `[[inputs]]` table of type `system`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validateSystemInputConfig(raw: unknown, field: string): SystemInputConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, OPTIONS, field);
  const d = defaultSystemInputConfig();
  const collect = readStrings(table.collect, `${field}.collect`, d.collect);
  const unknown = collect.find((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown !== undefined || collect.length === 0) {
    throw new ConfigError(`${field}.collect`, collect, `a non-empty list of ${GROUPS.join(", ")}`);
  }
  return {
    interval_s: readInt(table.interval_s, `${field}.interval_s`, d.interval_s, {
      min: 1,
      max: 86_400,
    }),
    collect,
    per_cpu: readBool(table.per_cpu, `${field}.per_cpu`, d.per_cpu),
    disks: readStrings(table.disks, `${field}.disks`, d.disks),
    interfaces: readStrings(table.interfaces, `${field}.interfaces`, d.interfaces),
    fs_types: readStrings(table.fs_types, `${field}.fs_types`, d.fs_types),
    mount_points: readStrings(table.mount_points, `${field}.mount_points`, d.mount_points),
    host: readString(table.host, `${field}.host`, d.host),
    proc_root: readString(table.proc_root, `${field}.proc_root`, d.proc_root, { nonEmpty: true }),
  };
}
