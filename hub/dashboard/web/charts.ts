/**
 * Charts: uPlot line and candlestick charts, and inline SVG sparklines (a
 * table of dozens of sensors would be heavy with one canvas each).
 *
 * @module
 */
import uPlot from "uplot";
import type { Candles } from "./market.ts";

/** Series colours, readable on the dark theme. */
export const PALETTE = ["#4cc9f0", "#f72585", "#b8f35c", "#ffb703", "#9d7cf5", "#2ec4b6"];

const AXIS = {
  stroke: "#8b93a7",
  grid: { stroke: "#262c3a", width: 1 },
  ticks: { stroke: "#262c3a" },
};

/**
 * The x range of a time chart: the data's own span, or a minute ending at
 * a lone point (uPlot would otherwise stretch one point over 86,400,000 s,
 * its one-day default meant for millisecond timestamps).
 */
export function timeRange(u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  const xs = u.data?.[0] ?? [];
  if (xs.length === 1) return [xs[0]! - 60, xs[0]! + 1];
  if (min === null || max === null) {
    const now = Date.now() / 1000;
    return [now - 60, now];
  }
  return [min, max];
}

/** A uPlot chart that follows its container's width. */
export interface Chart {
  readonly plot: uPlot;
  setData(data: uPlot.AlignedData): void;
  destroy(): void;
}

function sized(el: HTMLElement, height: number, make: (width: number) => uPlot): Chart {
  const plot = make(Math.max(200, el.clientWidth));
  const observer = new ResizeObserver(() => {
    const width = Math.max(200, el.clientWidth);
    if (Math.abs(width - plot.width) > 2) plot.setSize({ width, height });
  });
  observer.observe(el);
  return {
    plot,
    setData: (data) => plot.setData(data),
    destroy: () => {
      observer.disconnect();
      plot.destroy();
    },
  };
}

/** A time-series line chart with one line per label. */
export function lineChart(el: HTMLElement, labels: readonly string[], height = 220): Chart {
  return sized(el, height, (width) =>
    new uPlot(
      {
        width,
        height,
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
        axes: [{ ...AXIS }, { ...AXIS, size: 60 }],
        scales: { x: { time: true, range: timeRange } },
        series: [
          {},
          ...labels.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 1.5 })),
        ],
      },
      [[], ...labels.map(() => [])],
      el,
    ));
}

/**
 * A candlestick chart with a VWAP line. Candles are drawn in a `draw` hook
 * (uPlot has no candle series of its own); series 1–4 are OHLC and hidden.
 */
export function candleChart(
  el: HTMLElement,
  height = 300,
): Chart & { setCandles(c: Candles): void } {
  const drawCandles = (u: uPlot) => {
    const [t, open, high, low, close] = u.data as unknown as number[][];
    if (!t || t.length === 0) return;
    const ctx = u.ctx;
    const step = t.length > 1 ? (u.valToPos(t[1]!, "x", true) - u.valToPos(t[0]!, "x", true)) : 20;
    const bodyWidth = Math.max(2, Math.min(24, Math.abs(step) * 0.6));
    ctx.save();
    for (let i = 0; i < t.length; i++) {
      const x = u.valToPos(t[i]!, "x", true);
      const o = u.valToPos(open![i]!, "y", true);
      const c = u.valToPos(close![i]!, "y", true);
      const hi = u.valToPos(high![i]!, "y", true);
      const lo = u.valToPos(low![i]!, "y", true);
      const up = close![i]! >= open![i]!;
      ctx.strokeStyle = ctx.fillStyle = up ? "#26c281" : "#ef476f";
      ctx.lineWidth = Math.max(1, devicePixelRatio);
      ctx.beginPath();
      ctx.moveTo(Math.round(x), hi);
      ctx.lineTo(Math.round(x), lo);
      ctx.stroke();
      ctx.fillRect(
        Math.round(x - bodyWidth / 2),
        Math.min(o, c),
        Math.round(bodyWidth),
        Math.max(1, Math.abs(c - o)),
      );
    }
    ctx.restore();
  };
  const chart = sized(el, height, (width) =>
    new uPlot(
      {
        width,
        height,
        legend: { show: true },
        axes: [{ ...AXIS }, { ...AXIS, size: 70 }],
        scales: { x: { time: true, range: timeRange }, y: { auto: true } },
        series: [
          {},
          { label: "open", show: false },
          { label: "high", show: false },
          { label: "low", show: false },
          { label: "close", stroke: "transparent", points: { show: false } },
          { label: "VWAP", stroke: "#ffb703", width: 2 },
        ],
        hooks: { draw: [drawCandles] },
      },
      [[], [], [], [], [], []],
      el,
    ));
  return {
    ...chart,
    setCandles: (c) => {
      // Hidden series do not set the y range: give it the lows and highs through close and VWAP.
      chart.plot.setScale("y", {
        min: Math.min(...c.low, ...c.vwap),
        max: Math.max(...c.high, ...c.vwap),
      });
      chart.setData([c.t, c.open, c.high, c.low, c.close, c.vwap]);
    },
  };
}

/** An inline SVG polyline of `values` (oldest first). */
export function sparkline(values: readonly number[], width = 120, height = 28): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("class", "spark");
  const finite = values.filter(Number.isFinite);
  if (finite.length >= 2) {
    const min = Math.min(...finite);
    const span = Math.max(...finite) - min || 1;
    const points = finite.map((v, i) =>
      `${((i / (finite.length - 1)) * (width - 2) + 1).toFixed(1)},${
        (height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)
      }`
    );
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.append(line);
  }
  return svg;
}
