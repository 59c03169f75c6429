/**
 * Ingest panel: rows per second per kind, duplicates and quarantined
 * messages, read from the hub's own `/metrics` on every poll.
 *
 * @module
 */
import { type Chart, lineChart } from "../charts.ts";
import { h, replaceChildren, table } from "../dom.ts";
import { formatCount } from "../format.ts";
import { parsePromText, sumBy, total } from "../prom_text.ts";
import { RateTracker } from "../rates.ts";
import { guarded, type Panel, type PanelContext, panelParts, setState } from "./panel.ts";

const KINDS = ["readings", "logs", "trades", "quotes"];

function kpi(label: string, value: string, testid: string, tone = ""): HTMLElement {
  return h(
    "div",
    { class: `kpi ${tone}`.trim() },
    h("div", { class: "kpi-value", "data-testid": testid }, value),
    h("div", { class: "kpi-label" }, label),
  );
}

/** Creates the panel in `#ingest`. */
export function ingestPanel(ctx: PanelContext): Panel {
  const { body, errors } = panelParts("ingest");
  const tracker = new RateTracker(150);
  const kpis = h("div", { class: "kpis" });
  const kindsTable = h("div");
  const chartBox = h("div", { class: "chart", "data-testid": "ingest-chart" });
  replaceChildren(body, kpis, h("div", { class: "split" }, kindsTable, chartBox));
  let chart: Chart | undefined;

  return {
    refresh: () =>
      guarded(body, errors, async () => {
        const samples = parsePromText(await ctx.api.text("/metrics"));
        const rows = sumBy(samples, "tributary_hub_rows_total", "kind");
        const bytes = sumBy(samples, "tributary_hub_bytes_total", "kind");
        const dups = sumBy(samples, "tributary_hub_duplicate_rows_total", "kind");
        const point = tracker.update(rows, ctx.now());
        const rates = point?.rates ?? {};
        const rowsTotal = total(samples, "tributary_hub_rows_total");
        const quarantined = total(samples, "tributary_hub_quarantined_total");
        const totalRate = Object.values(rates).reduce((a, b) => a + b, 0);
        replaceChildren(
          kpis,
          kpi("rows/s", point ? formatCount(totalRate) : "…", "ingest-rate"),
          kpi("rows stored", formatCount(rowsTotal), "ingest-rows"),
          kpi(
            "duplicate rows",
            formatCount(total(samples, "tributary_hub_duplicate_rows_total")),
            "ingest-dups",
          ),
          kpi(
            "quarantined",
            formatCount(quarantined),
            "ingest-quarantined",
            quarantined > 0 ? "bad" : "",
          ),
          kpi(
            "batches",
            formatCount(total(samples, "tributary_hub_batches_total")),
            "ingest-batches",
          ),
        );
        replaceChildren(
          kindsTable,
          table(
            ["Kind", "Rows/s", "Rows", "Duplicates", "Wire bytes"],
            KINDS.map((
              k,
            ) => [
              k,
              point ? formatCount(rates[k] ?? 0) : "…",
              formatCount(rows[k] ?? 0),
              formatCount(dups[k] ?? 0),
              formatCount(bytes[k] ?? 0),
            ]),
            { testid: "ingest-table", numeric: [1, 2, 3, 4] },
          ),
        );
        const history = tracker.history();
        if (history.length > 0) {
          chart ??= lineChart(chartBox, KINDS, 200);
          chart.setData([
            history.map((p) => p.t),
            ...KINDS.map((k) => history.map((p) => p.rates[k] ?? 0)),
          ]);
        }
        setState(body, rowsTotal > 0 ? "ready" : "empty");
      }),
  };
}
