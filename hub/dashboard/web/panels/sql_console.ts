/**
 * SQL console: read-only SQL through `POST /api/v1/query`, results as a
 * table. Runs on the button or Ctrl/Cmd+Enter; not polled.
 *
 * @module
 */
import { Unauthorized } from "../api.ts";
import { errorLine, h, replaceChildren, table } from "../dom.ts";
import { formatCell } from "../format.ts";
import { type PanelContext, panelParts, setState } from "./panel.ts";

const EXAMPLE =
  `SELECT symbol, count(*) AS trades, round(avg(price), 2) AS avg_price, sum(size) AS volume
FROM trades GROUP BY symbol ORDER BY trades DESC`;

/** Creates the console in `#sql`; `onUnauthorized` opens the login prompt. */
export function sqlConsole(ctx: PanelContext, onUnauthorized: () => void): void {
  const { body, errors } = panelParts("sql");
  const editor = h("textarea", {
    spellcheck: "false",
    rows: 4,
    "data-testid": "sql-input",
    "aria-label": "SQL",
  });
  editor.value = EXAMPLE;
  const run = h("button", { class: "primary", "data-testid": "sql-run" }, "Run");
  const status = h("span", { class: "muted", "data-testid": "sql-status" });
  const results = h("div", { class: "scroll tall", "data-testid": "sql-results" });
  replaceChildren(
    body,
    editor,
    h("div", { class: "row" }, run, h("span", { class: "muted" }, "Ctrl+Enter"), status),
    results,
  );

  const execute = async () => {
    run.disabled = true;
    status.textContent = "running…";
    replaceChildren(errors);
    const started = performance.now();
    try {
      const answer = await ctx.api.query(editor.value);
      const ms = Math.round(performance.now() - started);
      status.textContent = `${answer.rows.length} row${
        answer.rows.length === 1 ? "" : "s"
      } in ${ms} ms${answer.truncated ? " (truncated)" : ""}`;
      replaceChildren(
        results,
        table(answer.columns.map((c) => c.name), answer.rows.map((r) => r.map(formatCell)), {
          testid: "sql-table",
        }),
      );
      setState(body, "ready");
    } catch (error) {
      status.textContent = "";
      if (error instanceof Unauthorized) onUnauthorized();
      setState(body, "error");
      replaceChildren(errors, errorLine(error instanceof Error ? error.message : String(error)));
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener("click", () => void execute());
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void execute();
    }
  });
}
