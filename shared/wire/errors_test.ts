import { assert, assertEquals } from "../testing/asserts.ts";
import { PermanentError } from "../errors.ts";
import { WIRE_ERROR_CODES, WireError } from "./errors.ts";

Deno.test("WireError is a PermanentError whose reason equals its code", () => {
  for (const code of WIRE_ERROR_CODES) {
    const error = new WireError(code, `bad: ${code}`);
    assert(error instanceof PermanentError);
    assert(error instanceof Error);
    assertEquals(error.code, code);
    assertEquals(error.reason, code);
    assertEquals(error.name, "WireError");
    assertEquals(error.message, `bad: ${code}`);
  }
});

Deno.test("WireError keeps its cause", () => {
  const cause = new RangeError("inner");
  const error = new WireError("corrupt_body", "outer", { cause });
  assertEquals(error.cause, cause);
});
