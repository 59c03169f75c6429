import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { isLoopback, parseHubConfig } from "./config.ts";

const noEnv = { env: () => undefined };

Deno.test("parseHubConfig auth.mode auto is open on loopback and token elsewhere", () => {
  assertEquals(parseHubConfig("", noEnv).auth, {
    mode: "open",
    public_metrics: true,
    audit_retention_days: 90,
  });
  assertEquals(parseHubConfig('[http]\nlisten = "0.0.0.0:8080"', noEnv).auth.mode, "token");
  assertEquals(parseHubConfig('[http]\nlisten = "[::1]:8080"', noEnv).auth.mode, "open");
  assertEquals(
    parseHubConfig(
      '[auth]\nmode = "token"\npublic_metrics = false\naudit_retention_days = 0',
      noEnv,
    ).auth,
    { mode: "token", public_metrics: false, audit_retention_days: 0 },
  );
});

Deno.test("parseHubConfig refuses open mode on a non-loopback address", () => {
  const error = assertThrows(
    () => parseHubConfig('[http]\nlisten = "0.0.0.0:8080"\n[auth]\nmode = "open"', noEnv),
    ConfigError,
  );
  assertEquals(error.field, "auth.mode");
  assertEquals(error.value, "open");
  assertThrows(() => parseHubConfig('[auth]\nmode = "none"', noEnv), ConfigError, "auth.mode");
  assertThrows(() => parseHubConfig("[auth]\nusers = 1", noEnv), ConfigError, "auth.users");
});

Deno.test("parseHubConfig wants http.tls_cert and tls_key together", () => {
  assertThrows(
    () => parseHubConfig('[http]\ntls_cert = "c.pem"', noEnv),
    ConfigError,
    "http.tls_key",
  );
  const config = parseHubConfig('[http]\ntls_cert = "c.pem"\ntls_key = "k.pem"', noEnv);
  assertEquals([config.http.tls_cert, config.http.tls_key], ["c.pem", "k.pem"]);
});

Deno.test("isLoopback knows 127/8, ::1 and localhost", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assertEquals(isLoopback(host), true, host);
  }
  for (const host of ["0.0.0.0", "10.0.0.1", "::", "example.com", "128.0.0.1"]) {
    assertEquals(isLoopback(host), false, host);
  }
});
