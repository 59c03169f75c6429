/**
 * Checks an input's sample.toml against its code: the sample must name every
 * option, each at its default, so the documented defaults cannot drift.
 *
 * @module
 */
import { parse } from "smol-toml";
import { assertEquals } from "@tributary/shared/testing/asserts";
import type { InputFactory } from "../input.ts";

/**
 * Parses `sampleUrl` (a TOML file with one `[[inputs]]` table), validates it
 * with `factory` and asserts it equals `factory.defaultConfig()`, and that
 * every key of the default config appears in the sample (`derived` keys,
 * computed from others, excepted).
 */
export async function assertSampleMatchesDefaults(
  factory: InputFactory<unknown>,
  sampleUrl: URL,
  derived: readonly string[] = [],
): Promise<void> {
  const doc = parse(await Deno.readTextFile(sampleUrl)) as { inputs?: Record<string, unknown>[] };
  const table = doc.inputs?.[0];
  assertEquals(table?.type, factory.type, "sample.toml: [[inputs]] type");
  const validated = factory.validate(table, "inputs[0]");
  assertEquals(validated, factory.defaultConfig(), "sample.toml values = defaults");
  const missing = Object.keys(factory.defaultConfig() as Record<string, unknown>)
    .filter((k) => !derived.includes(k) && !(k in table!));
  assertEquals(missing, [], "options missing from sample.toml");
}
