/**
 * Market panel: candlesticks with a running VWAP for a chosen symbol and
 * interval (computed from trades with SQL), and the latest quotes.
 *
 * @module
 */
import { candleChart } from "../charts.ts";
import { empty, h, replaceChildren, table } from "../dom.ts";
import { formatClock, formatCount, formatPrice } from "../format.ts";
import { candlesFromRows } from "../market.ts";
import {
  CANDLE_INTERVALS,
  type CandleInterval,
  candlesSql,
  isCandleInterval,
  latestQuotesSql,
  symbolsSql,
} from "../queries.ts";
import { guarded, type Panel, type PanelContext, panelParts, setState } from "./panel.ts";

/** Creates the panel in `#market`. */
export function marketPanel(ctx: PanelContext): Panel {
  const { body, errors, tools } = panelParts("market");
  const symbolPicker = h("select", { "data-testid": "symbol-picker", "aria-label": "Symbol" });
  const intervalPicker = h(
    "select",
    { "data-testid": "interval-picker", "aria-label": "Interval" },
    ...Object.keys(CANDLE_INTERVALS).map((k) => h("option", { value: k, selected: k === "5s" }, k)),
  );
  tools.append(symbolPicker, intervalPicker);
  const chartTitle = h("div", { class: "chart-title" });
  const chartBox = h("div", { class: "chart", "data-testid": "candle-chart" });
  const quotes = h("div", { class: "scroll" });
  replaceChildren(
    body,
    h("div", { class: "split wide-left" }, h("div", {}, chartTitle, chartBox), quotes),
  );
  let chart: ReturnType<typeof candleChart> | undefined;
  let symbols: string[] = [];
  let interval: CandleInterval = "5s";

  const drawCandles = async () => {
    const symbol = symbolPicker.value;
    if (!symbol) return;
    const candles = candlesFromRows((await ctx.api.query(candlesSql(symbol, interval, 60))).rows);
    const last = candles.close.length - 1;
    chartTitle.textContent = last >= 0
      ? `${symbol} · ${interval} · last ${formatPrice(candles.close[last])} · VWAP ${
        formatPrice(candles.vwap[last])
      }`
      : `${symbol} · no trades`;
    chart ??= candleChart(chartBox, 300);
    chart.setCandles(candles);
    chartBox.dataset.candles = String(candles.t.length);
  };

  symbolPicker.addEventListener("change", () => void drawCandles().catch(() => {}));
  intervalPicker.addEventListener("change", () => {
    if (isCandleInterval(intervalPicker.value)) interval = intervalPicker.value;
    drawCandles().catch(() => {});
  });

  return {
    refresh: () =>
      guarded(body, errors, async () => {
        const found = (await ctx.api.query(symbolsSql())).rows.map((r) => String(r[0]));
        if (found.join() !== symbols.join()) {
          const keep = symbolPicker.value;
          symbols = found;
          symbolPicker.replaceChildren(...found.map((s) => h("option", { value: s }, s)));
          if (found.includes(keep)) symbolPicker.value = keep;
        }
        const { rows } = await ctx.api.query(latestQuotesSql());
        replaceChildren(
          quotes,
          rows.length === 0 ? empty("No quotes in the last 10 minutes of data.") : table(
            ["Symbol", "Bid", "Bid size", "Ask", "Ask size", "Spread", "Last", "Time (UTC)"],
            rows.map((r) => [
              { node: h("strong", {}, String(r[0])) },
              formatPrice(r[1]),
              formatCount(r[2]),
              formatPrice(r[3]),
              formatCount(r[4]),
              formatPrice(Number(r[3]) - Number(r[1])),
              formatPrice(r[5]),
              formatClock(Number(r[6])),
            ]),
            { testid: "quotes-table", numeric: [1, 2, 3, 4, 5, 6] },
          ),
        );
        if (symbols.length === 0) {
          setState(body, "empty");
          chartTitle.textContent = "No trades yet.";
          return;
        }
        await drawCandles();
        setState(body, rows.length > 0 ? "ready" : "empty");
      }),
  };
}
