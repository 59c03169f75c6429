import { PermanentError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { columnProblem, isInt32, validateRows } from "./rows.ts";

const trade = {
  ts: 1n,
  recv_ts: 2n,
  symbol: "AAPL",
  price: 189.5,
  size: 100,
  exchange: 12,
  conditions: [14, 37],
  trade_id: "1",
};

Deno.test("validateRows accepts well-formed rows", () => {
  validateRows("trades", [trade, { ...trade, conditions: [] }]);
});

Deno.test("validateRows names the row, field, value and what is allowed", () => {
  const error = assertThrows(
    () => validateRows("trades", [trade, { ...trade, price: "1.0" }]),
    PermanentError,
    'trades[1].price: got "1.0", expected a finite number',
  );
  assertEquals(error.reason, "invalid_row");
});

Deno.test("validateRows refuses a missing timestamp, a number ts and a non-object", () => {
  const { ts: _ts, ...noTs } = trade;
  assertThrows(() => validateRows("trades", [noTs]), PermanentError, "trades[0].ts: got nothing");
  assertThrows(() => validateRows("trades", [{ ...trade, ts: 5 }]), PermanentError, "bigint");
  assertThrows(() => validateRows("trades", [null]), PermanentError, "expected an object");
});

Deno.test("validateRows refuses JSON that is not an object", () => {
  const log = { ts: 1n, recv_ts: 1n, source: "app", level: "info", message: "m", fields: "[1]" };
  validateRows("logs", [{ ...log, fields: '{"a":1}' }]);
  assertThrows(() => validateRows("logs", [log]), PermanentError, "logs[0].fields");
  assertThrows(
    () => validateRows("logs", [{ ...log, fields: "{" }]),
    PermanentError,
    "JSON object",
  );
});

Deno.test("columnProblem checks int32 bounds of lists and scalars", () => {
  const spec = { name: "conditions", type: "i32_list" as const, doc: "" };
  assertEquals(columnProblem(spec, [1, 2]), undefined);
  assertEquals(columnProblem(spec, [2 ** 31]), "an array of 32-bit integers");
  assertEquals(isInt32(-(2 ** 31)), true);
  assertEquals(isInt32(1.5), false);
});
