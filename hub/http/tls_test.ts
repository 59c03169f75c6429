/**
 * The hub serving HTTPS with a self-signed certificate made by `openssl` for
 * this run, in token mode: the whole wiring (config → auth store → TLS server).
 */
import { assertEquals, assertMatch, assertRejects } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { parseHubConfig } from "../config.ts";
import { Hub } from "../hub.ts";
import { AUTH_DB_FILE, AuthStore } from "../auth/auth_store.ts";
import { readTlsFiles } from "./server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const { code, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      // rustls refuses a CA certificate as the server's own: mark this one an end entity.
      "-addext",
      "basicConstraints=critical,CA:FALSE",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  return { cert, key };
}

Deno.test("Hub serves the API over TLS in token mode", async () => {
  const dir = await Deno.makeTempDir();
  const files = await selfSignedCert(dir);
  // Tokens are made before the hub starts: while it runs, it holds the auth file's lock.
  await Deno.mkdir(`${dir}/data`);
  const auth = await AuthStore.open({ path: `${dir}/data/${AUTH_DB_FILE}` });
  const { token } = await auth.createToken({ name: "ops", role: "admin" });
  await auth.close();
  const config = parseHubConfig(
    `[hub]\ndata_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\ntls_cert = "${files.cert}"\ntls_key = "${files.key}"\n[broker]\nlisten = "127.0.0.1:0"\n[auth]\nmode = "token"`,
    { env: () => undefined },
  );
  const hub = new Hub(config, { log: createLogger({ sink: () => {} }) });
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(files.cert)] });
  try {
    const { http } = await hub.start();
    assertMatch(http, /^https:\/\/127\.0\.0\.1:\d+$/);
    const anonymous = await fetch(`${http}/api/v1/whoami`, { client });
    assertEquals(anonymous.status, 401);
    await anonymous.body?.cancel();
    const me = await fetch(`${http}/api/v1/whoami`, {
      client,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await me.json();
    assertEquals([body.name, body.role, body.mode], ["ops", "admin", "token"]);
    // The token CLI reaches the running hub over HTTPS, trusting the certificate given by --ca.
    const cli = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "token", "list", "--url", http, "--ca", files.cert],
      env: { TRIBUTARY_TOKEN: token },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(cli.code, 0, new TextDecoder().decode(cli.stderr));
    assertEquals(
      JSON.parse(new TextDecoder().decode(cli.stdout)).map((t: { name: string }) => t.name),
      [
        "ops",
      ],
    );
    // Plain HTTP to the TLS port gets no answer.
    await assertRejects(() => fetch(http.replace("https:", "http:") + "/healthz"), TypeError);
  } finally {
    client.close();
    await hub.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTlsFiles names the field of an unreadable file", async () => {
  await assertRejects(
    () => readTlsFiles("/nonexistent/cert.pem", "/nonexistent/key.pem"),
    ConfigError,
    "http.tls_cert",
  );
});
