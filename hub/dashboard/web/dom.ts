/**
 * Tiny DOM helpers for the dashboard: element creation and tables. Text is
 * always set as text, never as HTML, so hub data cannot inject markup.
 *
 * @module
 */

type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes (`class`, `data-*`, `title`, …) and children.
 *
 * @example
 * ```ts
 * h("span", { class: "badge ok" }, "online");
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces every child of `el`. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A cell: text, or a node with an optional class on the `<td>`. */
export type Cell = Child | { node: Child; class?: string; title?: string };

/** A `<table>` with a header row and body rows. */
export function table(
  headers: readonly string[],
  rows: readonly Cell[][],
  options: { class?: string; testid?: string; numeric?: readonly number[] } = {},
): HTMLTableElement {
  const numeric = new Set(options.numeric ?? []);
  return h(
    "table",
    { class: options.class ?? "grid", "data-testid": options.testid },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...headers.map((t, i) => h("th", { class: numeric.has(i) ? "num" : undefined }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      ...rows.map((row) =>
        h(
          "tr",
          {},
          ...row.map((cell, i) => {
            const boxed = typeof cell === "object" && cell !== null && !(cell instanceof Node) &&
              "node" in cell;
            const cls = [numeric.has(i) ? "num" : "", boxed ? cell.class ?? "" : ""].join(" ")
              .trim();
            return h(
              "td",
              { class: cls || undefined, title: boxed ? cell.title : undefined },
              boxed ? cell.node : cell as Child,
            );
          }),
        )
      ),
    ),
  );
}

/** An empty-state line inside a panel. */
export function empty(text: string): HTMLElement {
  return h("div", { class: "empty" }, text);
}

/** An error line inside a panel. */
export function errorLine(text: string): HTMLElement {
  return h("div", { class: "error", role: "alert" }, text);
}
