/**
 * `GET /api/v1/series`: one sensor's readings bucketed by `step` with an
 * aggregate, over a time range.
 *
 * @module
 */
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";
import { chooseFormat } from "../formats/result_format.ts";
import {
  checkRange,
  formatDuration,
  ParamError,
  readChoiceParam,
  readDuration,
  readText,
  readTime,
} from "../params.ts";
import { SqlBuilder } from "../sql_builder.ts";
import { answerQuery } from "./respond.ts";
import { queryObjects } from "../query_path.ts";
import { nowNs } from "@tributary/shared/records";

/** Aggregates `/series` accepts, and their SQL over `value`. */
export const SERIES_AGGREGATES = {
  avg: "avg(value)",
  min: "min(value)",
  max: "max(value)",
  sum: "sum(value)",
  count: "count(value)",
  first: "arg_min(value, ts)",
  last: "arg_max(value, ts)",
} as const;

/** Most buckets one answer may have. */
export const MAX_BUCKETS = 100_000;

const HOUR_NS = 3_600_000_000_000n;
const STEP_BOUNDS = { minNs: 1_000_000n, maxNs: 366n * 24n * HOUR_NS };

/** The same aggregates over the `sensor_minute` rollup view (hub/rollups/); `first` has none. */
const ROLLUP_AGGREGATES: Partial<Record<keyof typeof SERIES_AGGREGATES, string>> = {
  avg: `sum(sum_value) / sum("count")`,
  min: "min(min_value)",
  max: "max(max_value)",
  sum: "sum(sum_value)",
  count: `sum("count")::BIGINT`,
  last: "arg_max(last_value, last_ts)",
};

const MINUTE_NS = 60_000_000_000n;

/** Where buckets come from: `auto` prefers the `sensor_minute` rollup, `raw` scans readings. */
export const SERIES_SOURCES = ["auto", "raw"] as const;

/**
 * Adds `GET /api/v1/series?sensor=&metric=&agent=&from=&to=&step=&aggregate=&source=&format=`
 * (reader, admin). Columns: `ts` (bucket start), `value`, `samples`. `from` is rounded down and
 * `to` up to whole steps, so every bucket is whole. With `source=auto` (default), a step of
 * whole minutes and an aggregate other than `first`, buckets are merged from the
 * `sensor_minute` rollup view when it exists; otherwise computed from raw readings. The answer
 * says which (`source` in JSON, header `x-tributary-source`).
 */
export function addSeriesRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get("/api/v1/series", admit(deps, "reader"), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const now = nowNs();
    const sensor = readText(params, "sensor", { required: true })!;
    const metric = readText(params, "metric");
    const agent = readText(params, "agent");
    const toRaw = readTime(params, "to", now, now);
    const fromRaw = readTime(params, "from", toRaw - HOUR_NS, now);
    checkRange(fromRaw, toRaw, params.get("from"));
    const stepNs = readDuration(params, "step", MINUTE_NS, STEP_BOUNDS);
    const fromNs = floorTo(fromRaw, stepNs);
    const toNs = -floorTo(-toRaw, stepNs);
    if ((toNs - fromNs) / stepNs > BigInt(MAX_BUCKETS)) {
      throw new ParamError(
        "step",
        params.get("step") ?? formatDuration(stepNs),
        `a step giving at most ${MAX_BUCKETS} buckets over this range (at least ${
          formatDuration((toNs - fromNs) / BigInt(MAX_BUCKETS) + 1n)
        })`,
      );
    }
    const aggregate = readChoiceParam(
      params,
      "aggregate",
      Object.keys(SERIES_AGGREGATES) as (keyof typeof SERIES_AGGREGATES)[],
      "avg",
    );
    const sourceChoice = readChoiceParam(params, "source", SERIES_SOURCES, "auto");
    const format = chooseFormat(params.get("format") ?? undefined, c.req.header("accept"));
    const rollupAggregate = ROLLUP_AGGREGATES[aggregate];
    const useRollup = sourceChoice === "auto" && rollupAggregate !== undefined &&
      stepNs % MINUTE_NS === 0n && await viewExists(deps, "sensor_minute");
    const q = new SqlBuilder().equals("sensor", sensor).equals("metric", metric)
      .equals("agent", agent).timeRange(fromNs, toNs, useRollup ? "bucket" : "ts");
    const step = q.bigint(stepNs);
    const sql = useRollup
      ? `SELECT make_timestamp_ns(epoch_ns(bucket) // ${step} * ${step}) AS ts,
          ${rollupAggregate} AS value, sum("count")::BIGINT AS samples
        FROM sensor_minute ${q.whereClause()} GROUP BY 1 ORDER BY 1`
      : `SELECT make_timestamp_ns(epoch_ns(ts) // ${step} * ${step}) AS ts,
          ${SERIES_AGGREGATES[aggregate]} AS value, count(*) AS samples
        FROM readings ${q.whereClause()} GROUP BY 1 ORDER BY 1`;
    const source = useRollup ? "sensor_minute" : "readings";
    const response = await answerQuery(c, deps, {
      sql,
      options: { ...deps.query, params: q.params },
      format,
      jsonExtra: {
        sensor,
        metric: metric ?? null,
        agent: agent ?? null,
        aggregate,
        step: formatDuration(stepNs),
        source,
      },
    }, { endpoint: "series" });
    response.headers.set("x-tributary-source", source);
    return response;
  });
}

/** Rounds `ns` down to a multiple of `step` (also for negative values). */
export function floorTo(ns: bigint, step: bigint): bigint {
  const r = ns % step;
  return r < 0n ? ns - r - step : ns - r;
}

/** True when the hot store has a view named `name` (rollups may be switched off). */
export async function viewExists(deps: ApiDeps, name: string): Promise<boolean> {
  const rows = await queryObjects(
    deps.store,
    `SELECT 1 FROM duckdb_views() WHERE schema_name = 'main' AND view_name = $1`,
    { ...deps.query, params: [name] },
  );
  return rows.length > 0;
}
