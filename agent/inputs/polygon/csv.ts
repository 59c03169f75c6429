/**
 * Splits one CSV line (RFC 4180 quoting) into fields, as Polygon's flat files
 * write them: `A,"12,37",0,11,...` — a list inside one field is quoted.
 *
 * @module
 */

/**
 * The fields of `line`, or `undefined` when a quote is left open or a quoted
 * field is followed by something other than a comma (malformed CSV).
 *
 * @example
 * ```ts
 * splitCsvLine('A,"12,37",0'); // ["A", "12,37", "0"]
 * ```
 */
export function splitCsvLine(line: string): string[] | undefined {
  // Fast path: most rows have no quotes at all.
  if (!line.includes('"')) return line.split(",");
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const close = line.indexOf('"', j);
        if (close < 0) return undefined;
        value += line.slice(j, close);
        if (line[close + 1] === '"') {
          value += '"';
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ",") return undefined;
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) return undefined;
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}
