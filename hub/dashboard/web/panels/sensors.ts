/**
 * Sensors panel: the latest value of each series with a sparkline, and a
 * chart (avg, min, max per step) of the series chosen in the list or by
 * clicking a row.
 *
 * @module
 */
import { type Chart, lineChart, sparkline } from "../charts.ts";
import { empty, h, replaceChildren, table } from "../dom.ts";
import { formatAgo, formatCount } from "../format.ts";
import { latestSensorsSql, type SeriesKey, seriesSql } from "../queries.ts";
import { guarded, type Panel, type PanelContext, panelParts, setState } from "./panel.ts";

const keyText = (k: SeriesKey) => JSON.stringify([k.agent, k.sensor, k.metric]);

/** Creates the panel in `#sensors`. */
export function sensorsPanel(ctx: PanelContext): Panel {
  const { body, errors, tools } = panelParts("sensors");
  const picker = h("select", { "data-testid": "series-picker", "aria-label": "Series" });
  tools.append(picker);
  const list = h("div", { class: "scroll" });
  const chartTitle = h("div", { class: "chart-title" });
  const chartBox = h("div", { class: "chart", "data-testid": "series-chart" });
  replaceChildren(body, h("div", { class: "split" }, list, h("div", {}, chartTitle, chartBox)));
  let chart: Chart | undefined;
  let selected: string | undefined;
  let known: string[] = [];

  const drawSeries = async () => {
    if (!selected) return;
    const [agent, sensor, metric] = JSON.parse(selected) as [string, string, string];
    const { rows } = await ctx.api.query(
      seriesSql({ agent, sensor, metric }, { minutes: 10, stepS: 2 }),
    );
    chartTitle.textContent = `${sensor} · ${metric} · ${agent} (avg, min, max per 2 s)`;
    chart ??= lineChart(chartBox, ["avg", "min", "max"], 220);
    chart.setData([
      rows.map((r) => Number(r[0]) / 1000),
      rows.map((r) => Number(r[1])),
      rows.map((r) => Number(r[2])),
      rows.map((r) => Number(r[3])),
    ]);
    chartBox.dataset.points = String(rows.length);
  };

  picker.addEventListener("change", () => {
    selected = picker.value;
    drawSeries().catch(() => {});
  });

  return {
    refresh: () =>
      guarded(body, errors, async () => {
        const { rows } = await ctx.api.query(latestSensorsSql({ points: 40, limit: 100 }));
        if (rows.length === 0) {
          setState(body, "empty");
          replaceChildren(list, empty("No sensor readings in the last 10 minutes of data."));
          return;
        }
        const now = ctx.now();
        const keys = rows.map((r) =>
          keyText({ agent: String(r[0]), sensor: String(r[1]), metric: String(r[2]) })
        );
        if (keys.join() !== known.join()) {
          known = keys;
          picker.replaceChildren(
            ...rows.map((r, i) => h("option", { value: keys[i]! }, `${r[1]} · ${r[2]} · ${r[0]}`)),
          );
          if (!selected || !keys.includes(selected)) selected = keys[0];
          picker.value = selected!;
        }
        const t = table(
          ["Sensor", "Metric", "Value", "Last 40", "Updated"],
          rows.map((r) => [
            { node: h("span", { class: "agent-id", title: String(r[0]) }, String(r[1])) },
            String(r[2]),
            {
              node: h(
                "span",
                {},
                formatCount(r[4]),
                " ",
                h("span", { class: "unit" }, String(r[3] ?? "")),
              ),
            },
            { node: sparkline(Array.isArray(r[6]) ? r[6].map(Number) : []) },
            formatAgo(Number(r[5]), now),
          ]),
          { testid: "sensors-table", numeric: [2] },
        );
        t.querySelectorAll("tbody tr").forEach((tr, i) => {
          tr.classList.add("clickable");
          if (keys[i] === selected) tr.classList.add("selected");
          tr.addEventListener("click", () => {
            selected = keys[i];
            picker.value = selected!;
            t.querySelectorAll("tr.selected").forEach((s) => s.classList.remove("selected"));
            tr.classList.add("selected");
            drawSeries().catch(() => {});
          });
        });
        replaceChildren(list, t);
        await drawSeries();
        setState(body, "ready");
      }),
  };
}
