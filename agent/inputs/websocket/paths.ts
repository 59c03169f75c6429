/**
 * Dotted field paths into decoded JSON (`data.price`, `c.0`), compiled once
 * so reading a field per message is a few property lookups.
 *
 * @module
 */

/** A compiled path: the keys to follow, numeric segments also index arrays. */
export type FieldPath = readonly string[];

/**
 * Compiles `text` (segments separated by dots, none empty), or `undefined`
 * when malformed. `""` compiles to the empty path (the value itself).
 *
 * @example
 * ```ts
 * getPath({ data: { p: [1, 2] } }, compilePath("data.p.1")!); // 2
 * ```
 */
export function compilePath(text: string): FieldPath | undefined {
  if (text === "") return [];
  const segments = text.split(".");
  return segments.every((s) => s !== "" && !/\s/.test(s)) ? segments : undefined;
}

/** The value at `path` in `value`, or `undefined` when any step is missing. */
export function getPath(value: unknown, path: FieldPath): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    if (!Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
