/**
 * A one-paragraph description of the machine a benchmark ran on, so figures
 * are never quoted without it.
 *
 * @module
 */

/** CPU model, cores, memory, kernel, Deno version and load average, as text. */
export async function machineSummary(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? Deno.build.arch;
  const cores = navigator.hardwareConcurrency;
  const memTotalKiB = Number(
    (await Deno.readTextFile("/proc/meminfo").catch(() => "")).match(/^MemTotal:\s*(\d+)/m)?.[1] ??
      0,
  );
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  return [
    `machine: ${model}, ${cores} cores, ${(memTotalKiB / 1024 / 1024).toFixed(1)} GiB RAM`,
    `         ${Deno.build.os} ${Deno.build.arch}, kernel ${Deno.osRelease()}, deno ${Deno.version.deno}, load avg ${load}`,
    `date:    ${new Date().toISOString()}`,
  ].join("\n");
}
