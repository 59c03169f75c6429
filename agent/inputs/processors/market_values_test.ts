import { assertEquals } from "@tributary/shared/testing/asserts";
import { quoteValueProblem, tradeValueProblem } from "./market_values.ts";

Deno.test("tradeValueProblem wants a price and a size above 0", () => {
  assertEquals(tradeValueProblem({ price: 10.5, size: 100 }), undefined);
  assertEquals(tradeValueProblem({ price: 0, size: 100 }), "non_positive");
  assertEquals(tradeValueProblem({ price: 10, size: -1 }), "non_positive");
  assertEquals(tradeValueProblem({ price: NaN, size: 1 }), "non_positive");
});

Deno.test("quoteValueProblem accepts one-sided quotes and refuses empty or unsized sides", () => {
  const q = (bid_price: number, bid_size: number, ask_price: number, ask_size: number) =>
    quoteValueProblem({ bid_price, bid_size, ask_price, ask_size });
  assertEquals(q(10, 2, 10.1, 3), undefined);
  assertEquals(q(10, 2, 0, 0), undefined, "ask side absent");
  assertEquals(q(0, 0, 10.1, 3), undefined, "bid side absent");
  assertEquals(q(0, 0, 0, 0), "non_positive", "no side at all");
  assertEquals(q(10, 0, 10.1, 3), "non_positive", "priced bid without size");
  assertEquals(q(-1, 2, 10.1, 3), "non_positive");
  assertEquals(q(10, 2, 10.1, NaN), "non_positive");
});
