import { parse } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultWebSocketConfig, validateWebSocketConfig } from "./config.ts";

const FEED_URL = "ws://127.0.0.1:8765/feed";

Deno.test("validateWebSocketConfig fills defaults around the url", () => {
  assertEquals(validateWebSocketConfig({ type: "websocket", url: FEED_URL }, "inputs[0]"), {
    ...defaultWebSocketConfig(),
    url: FEED_URL,
  });
});

Deno.test("sample.toml holds the defaults of the code (url and subscribe aside)", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const table = (parse(text).inputs as Record<string, unknown>[])[0]!;
  const config = validateWebSocketConfig(table, "inputs[0]");
  assertEquals(config, {
    ...defaultWebSocketConfig(),
    url: "wss://socket.polygon.io/stocks",
    subscribe: [
      '{"action":"auth","params":"${POLYGON_API_KEY}"}',
      '{"action":"subscribe","params":"T.*,Q.*"}',
    ],
  });
  assertEquals(
    Object.keys(table).filter((k) => k !== "type").sort(),
    Object.keys(defaultWebSocketConfig()).sort(),
  );
});

Deno.test("validateWebSocketConfig names the field, the value and what is allowed", () => {
  assertThrows(() => validateWebSocketConfig({}, "i"), ConfigError, "i.url: got nothing");
  assertThrows(() => validateWebSocketConfig({ url: "http://x" }, "i"), ConfigError, "i.url");
  assertThrows(
    () => validateWebSocketConfig({ url: FEED_URL, subscribe: "x" }, "i"),
    ConfigError,
    "i.subscribe",
  );
  assertThrows(
    () => validateWebSocketConfig({ url: FEED_URL, mapping: { ts_unit: "min" } }, "i"),
    ConfigError,
    'i.mapping.ts_unit: got "min"',
  );
  assertThrows(
    () => validateWebSocketConfig({ url: FEED_URL, mapping: { trade: { price: "a..b" } } }, "i"),
    ConfigError,
    "i.mapping.trade.price",
  );
  assertThrows(
    () => validateWebSocketConfig({ url: FEED_URL, mapping: { trade: { price: "" } } }, "i"),
    ConfigError,
    "i.mapping.trade.price",
  );
  assertThrows(
    () => validateWebSocketConfig({ url: FEED_URL, mapping: { quote: { mid: "m" } } }, "i"),
    ConfigError,
    "i.mapping.quote.mid",
  );
  assertThrows(
    () =>
      validateWebSocketConfig(
        { url: FEED_URL, reconnect_initial_ms: 100, reconnect_max_ms: 50 },
        "i",
      ),
    ConfigError,
    "i.reconnect_max_ms",
  );
  // Optional paths may be emptied.
  assertEquals(
    validateWebSocketConfig(
      { url: FEED_URL, mapping: { trade: { exchange: "" }, sequence_path: "" } },
      "i",
    )
      .mapping.trade.exchange,
    "",
  );
});
