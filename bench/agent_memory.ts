/**
 * Splits an agent's memory into the parts its `/metrics` shows, sampled while
 * a benchmark runs: DuckDB's own allocator (allocated, resident), the V8 heap
 * (used and committed), the memory behind ArrayBuffers (external) and glibc's
 * heap (in use, kept free, and chunks mapped on their own). The parts overlap
 * (external memory lives in glibc's heap); RSS minus them is mostly thread
 * stacks and code pages.
 *
 * @module
 */

/** Medians of the samples, MiB; undefined for a part the agent does not report. */
export interface MemoryParts {
  duckdbAllocatedMiB?: number;
  duckdbResidentMiB?: number;
  v8HeapMiB?: number;
  v8HeapTotalMiB?: number;
  externalMiB?: number;
  mallocInUseMiB?: number;
  mallocFreeMiB?: number;
  /** glibc's chunks mapped on their own (at least `MALLOC_MMAP_THRESHOLD_`, 64 KiB in the unit). */
  mallocMmappedMiB?: number;
}

/** A running sampler; `stop()` returns the medians and may be called twice. */
export interface MemoryPartsSampler {
  stop(): Promise<MemoryParts>;
  /**
   * The medians of the samples taken from `fromMs` (inclusive) to `toMs`
   * (exclusive) after the start; after `stop()` every sample is in.
   */
  windowMedians(fromMs: number, toMs: number): MemoryParts;
}

/** Each part: the series it comes from, and its name in a report (in report order). */
const PARTS: [keyof MemoryParts, string, string][] = [
  ["duckdbResidentMiB", 'tributary_agent_duckdb_memory_bytes{state="resident"}', "DuckDB resident"],
  [
    "duckdbAllocatedMiB",
    'tributary_agent_duckdb_memory_bytes{state="allocated"}',
    "DuckDB allocated",
  ],
  ["v8HeapMiB", "nodejs_heap_size_used_bytes", "V8 heap"],
  ["v8HeapTotalMiB", "nodejs_heap_size_total_bytes", "V8 heap committed"],
  ["externalMiB", "nodejs_external_memory_bytes", "external"],
  ["mallocInUseMiB", 'tributary_agent_malloc_bytes{state="in_use"}', "glibc in use"],
  ["mallocFreeMiB", 'tributary_agent_malloc_bytes{state="free"}', "glibc free"],
  ["mallocMmappedMiB", 'tributary_agent_malloc_bytes{state="mmapped"}', "glibc mmapped"],
];

/** The parts in one `/metrics` page, MiB. */
export function memoryParts(page: string): MemoryParts {
  const parts: MemoryParts = {};
  for (const [part, series] of PARTS) {
    const line = page.split("\n").find((l) => l.startsWith(`${series} `));
    if (line !== undefined) parts[part] = Number(line.slice(series.length + 1)) / (1024 * 1024);
  }
  return parts;
}

/** Scrapes `${agentUrl}/metrics` every `intervalMs` (default 1 s). */
export function startMemoryPartsSampler(agentUrl: string, intervalMs = 1000): MemoryPartsSampler {
  const started = performance.now();
  const samples: { atMs: number; parts: MemoryParts }[] = [];
  const scrapes = new Set<Promise<void>>();
  const take = () => {
    const atMs = performance.now() - started;
    const scrape = fetch(`${agentUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.text())
      .then((page) => void samples.push({ atMs, parts: memoryParts(page) }))
      .catch(() => {}) // A scrape missed while the agent is busy: the median does without it.
      .finally(() => scrapes.delete(scrape));
    scrapes.add(scrape);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...scrapes]);
      return medians(samples.map((s) => s.parts));
    },
    windowMedians(fromMs, toMs) {
      return medians(samples.filter((s) => s.atMs >= fromMs && s.atMs < toMs).map((s) => s.parts));
    },
  };
}

/** Each part's median over `samples`; a part no sample has is left out. */
function medians(samples: MemoryParts[]): MemoryParts {
  const out: MemoryParts = {};
  for (const [part] of PARTS) {
    const values = samples.map((s) => s[part]).filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    if (values.length > 0) out[part] = values[Math.floor(values.length / 2)];
  }
  return out;
}

/**
 * "; by part, idle → first 30 s → median draining (MiB): ..." for the parts
 * every stage saw; `stages` are [name, medians] in order, and a stage with no
 * medians is left out.
 */
export function describeParts(stages: [string, MemoryParts | undefined][]): string {
  const seen = stages.filter((s): s is [string, MemoryParts] => s[1] !== undefined);
  if (seen.length < 2) return "";
  const shown = PARTS.flatMap(([part, , name]) => {
    const values = seen.map(([, parts]) => parts[part]);
    return values.some((v) => v === undefined)
      ? []
      : [`${name} ${values.map((v) => v!.toFixed(1)).join(" → ")}`];
  });
  const header = seen.map(([stage]) => stage).join(" → ");
  return shown.length === 0 ? "" : `; by part, ${header} (MiB): ${shown.join(", ")}`;
}
