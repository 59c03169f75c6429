/**
 * Logs panel: a live tail of the `logs` table, newest first, with a
 * minimum level, a source filter and a text search; can be paused.
 *
 * @module
 */
import { empty, h, replaceChildren, table } from "../dom.ts";
import { formatClock } from "../format.ts";
import { LOG_LEVELS, logSourcesSql, logTailSql } from "../queries.ts";
import { guarded, type Panel, type PanelContext, panelParts, setState } from "./panel.ts";

/** Creates the panel in `#logs`. */
export function logsPanel(ctx: PanelContext): Panel {
  const { body, errors, tools } = panelParts("logs");
  const level = h(
    "select",
    { "data-testid": "log-level", "aria-label": "Minimum level" },
    h("option", { value: "" }, "all levels"),
    ...LOG_LEVELS.map((l) => h("option", { value: l }, `≥ ${l}`)),
  );
  const source = h(
    "select",
    { "data-testid": "log-source", "aria-label": "Source" },
    h("option", { value: "" }, "all sources"),
  );
  const search = h("input", {
    type: "search",
    placeholder: "search messages",
    "data-testid": "log-search",
  });
  const pause = h("input", { type: "checkbox", "data-testid": "log-pause" });
  tools.append(level, source, search, h("label", { class: "check" }, pause, "pause"));
  const list = h("div", { class: "scroll tall" });
  replaceChildren(body, list);
  let sourcesAt = 0;

  const tail = async () => {
    if (ctx.now() - sourcesAt > 10_000) {
      sourcesAt = ctx.now();
      const names = (await ctx.api.query(logSourcesSql())).rows.map((r) => String(r[0]));
      const keep = source.value;
      source.replaceChildren(
        h("option", { value: "" }, "all sources"),
        ...names.map((n) => h("option", { value: n }, n)),
      );
      source.value = names.includes(keep) ? keep : "";
    }
    const { rows } = await ctx.api.query(
      logTailSql({
        minLevel: level.value,
        source: source.value,
        search: search.value.trim(),
        limit: 200,
      }),
    );
    if (rows.length === 0) {
      replaceChildren(list, empty("No log lines match."));
      setState(body, "empty");
      return;
    }
    replaceChildren(
      list,
      table(
        ["Time (UTC)", "Level", "Agent", "Source", "Message"],
        rows.map((r) => [
          formatClock(String(r[0])),
          { node: h("span", { class: `level ${String(r[3])}` }, String(r[3])) },
          String(r[1]),
          String(r[2]),
          { node: String(r[4]), class: "message" },
        ]),
        { testid: "logs-table", class: "grid dense" },
      ),
    );
    setState(body, "ready");
  };

  let typing: ReturnType<typeof setTimeout> | undefined;
  // A filter change refreshes at once instead of waiting for the next poll.
  const refreshNow = () => void guarded(body, errors, tail).catch(() => {});
  level.addEventListener("change", refreshNow);
  source.addEventListener("change", refreshNow);
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(refreshNow, 300);
  });

  return {
    refresh: () => pause.checked ? Promise.resolve() : guarded(body, errors, tail),
  };
}
