/**
 * A cheap, conservative reading of the `ts` range a query asks for, so cold
 * objects outside it need not be fetched. When in doubt it returns no bound
 * (every object of the kind is fetched): a wrong bound would hide rows.
 *
 * Bounds are taken only when the query has one SELECT, no OR or NOT, names
 * exactly one kind once, and compares `ts` right after WHERE or AND with a
 * constant of a known shape: `TIMESTAMP '…'`, `'…'` (optionally `::TIMESTAMP…`),
 * or `now()` / `current_timestamp` minus `INTERVAL …`. DuckDB evaluates the
 * constant; nothing else of the query runs.
 *
 * @module
 */
import { type Kind, KINDS } from "@tributary/shared/records";

/** A constant bound expression, still as SQL text of an allowed shape. */
export interface TsBoundExprs {
  /** Lowest `ts` the query can want (inclusive), SQL. */
  lower?: string;
  /** Highest `ts` the query can want (inclusive), SQL. */
  upper?: string;
}

// String literals are replaced by `§<n>§` placeholders before matching, so
// text inside a literal is never taken for a predicate.
const CONSTANT = String
  .raw`(?:(?:TIMESTAMP(?:_NS|TZ)?\s+)?§\d+§(?:::TIMESTAMP(?:_NS|TZ)?)?|(?:now\(\)|current_timestamp)(?:\s*-\s*INTERVAL\s+(?:§\d+§|\d{1,9}\s+(?:second|minute|hour|day|week|month|year)s?))?)`;
/** What a literal inside a bound may hold: a date/time or an interval like `2 hours`. */
const LITERAL_CONTENT = /^[0-9a-zA-Z:. +-]{1,40}$/;
const COLUMN = String.raw`(?:"?[A-Za-z_][A-Za-z0-9_]*"?\.)?"?ts"?`;
const COMPARE = new RegExp(
  String.raw`\b(?:where|and)\s+${COLUMN}\s*(>=|>|<=|<|=)\s*(${CONSTANT})`,
  "gi",
);
const BETWEEN = new RegExp(
  String.raw`\b(?:where|and)\s+${COLUMN}\s+between\s+(${CONSTANT})\s+and\s+(${CONSTANT})`,
  "gi",
);

/** The kinds a query names (as whole words), in {@linkcode KINDS} order. */
export function referencedKinds(sql: string): Kind[] {
  return KINDS.filter((kind) => new RegExp(`\\b${kind}\\b`, "i").test(sql));
}

/**
 * The `ts` bounds of `sql`, as constant SQL expressions, or `{}` when the
 * query is not simple enough to be sure.
 *
 * @example
 * ```ts
 * tsBoundExprs("SELECT * FROM trades WHERE ts >= TIMESTAMP '2026-11-20' AND symbol = 'A'");
 * // { lower: "TIMESTAMP '2026-11-20'" }
 * ```
 */
export function tsBoundExprs(sql: string): TsBoundExprs {
  const literals: string[] = [];
  const text = stripComments(sql).replace(/'(?:[^']|'')*'/g, (literal) => {
    literals.push(literal);
    return `§${literals.length - 1}§`;
  });
  if (literals.some((l) => l.includes("§"))) return {};
  const restore = (expr: string | undefined): string | undefined => {
    if (expr === undefined) return undefined;
    let ok = true;
    const out = expr.replace(/§(\d+)§/g, (_, i) => {
      const literal = literals[Number(i)] ?? "''";
      if (!LITERAL_CONTENT.test(literal.slice(1, -1))) ok = false;
      return literal;
    });
    return ok ? out : undefined;
  };
  if ((text.match(/\bselect\b/gi) ?? []).length !== 1) return {};
  if (/\b(or|not)\b/i.test(text)) return {};
  const kinds = referencedKinds(text);
  if (kinds.length !== 1) return {};
  if ((text.match(new RegExp(`\\b${kinds[0]}\\b`, "gi")) ?? []).length !== 1) return {};
  const bounds: TsBoundExprs = {};
  for (const match of text.matchAll(BETWEEN)) {
    bounds.lower ??= restore(match[1]);
    bounds.upper ??= restore(match[2]);
  }
  for (const match of text.matchAll(COMPARE)) {
    const [, op] = match;
    const expr = restore(match[2]);
    if (op === ">=" || op === ">" || op === "=") bounds.lower ??= expr;
    if (op === "<=" || op === "<" || op === "=") bounds.upper ??= expr;
  }
  if (bounds.lower === undefined) delete bounds.lower;
  if (bounds.upper === undefined) delete bounds.upper;
  return bounds;
}

function stripComments(sql: string): string {
  // Comments can hide text; a query with a quote inside a comment keeps it
  // (harmless: the literal pass then sees an odd quote and matches less).
  return sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
}
