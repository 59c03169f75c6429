import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { parseHubConfig } from "../config.ts";
import { Hub } from "../hub.ts";
import { parseTokenCommand } from "./token_cli.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function hubCli(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("parseTokenCommand reads create, list, revoke and explains mistakes", () => {
  assertEquals(parseTokenCommand(["create"], { name: "alice", role: "reader" }), {
    action: "create",
    name: "alice",
    role: "reader",
  });
  assertEquals(parseTokenCommand(["list"], {}), { action: "list" });
  assertEquals(parseTokenCommand(["revoke", "abc"], {}), { action: "revoke", id: "abc" });
  assertMatch(parseTokenCommand(["create"], { name: "alice", role: "root" }) as string, /--role/);
  assertMatch(parseTokenCommand(["create"], { role: "reader" }) as string, /--name/);
  assertMatch(parseTokenCommand(["drop"], {}) as string, /expected "token create/);
});

Deno.test("hub token: offline create, then through the running hub's API; the locked file is explained", async () => {
  const dir = await Deno.makeTempDir();
  const configFile = `${dir}/hub.toml`;
  const toml =
    `[hub]\ndata_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"\n[auth]\nmode = "token"\n`;
  await Deno.writeTextFile(configFile, toml);
  try {
    const created = await hubCli([
      "token",
      "create",
      "--name",
      "ops",
      "--role",
      "admin",
      "-c",
      configFile,
    ]);
    assertEquals(created.code, 0, created.stderr);
    const admin = JSON.parse(created.stdout);
    assertMatch(admin.token, /^trb_/);
    assertMatch(created.stderr, /cannot be shown again/);

    const hub = new Hub(parseHubConfig(toml, { env: () => undefined }), {
      log: createLogger({ sink: () => {} }),
    });
    try {
      const { http } = await hub.start();
      const locked = await hubCli(["token", "list", "-c", configFile]);
      assertEquals(locked.code, 1);
      assertMatch(locked.stderr, /locked, probably by the running hub: use --url/);

      const remote = await hubCli(
        ["token", "create", "--name", "alice", "--role", "reader", "--url", http],
        { TRIBUTARY_TOKEN: admin.token },
      );
      assertEquals(remote.code, 0, remote.stderr);
      const alice = JSON.parse(remote.stdout);
      const me = await fetch(`${http}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assertEquals((await me.json()).name, "alice");

      const noToken = await hubCli(["token", "list", "--url", http]);
      assertEquals(noToken.code, 1);
      assertMatch(noToken.stderr, /TRIBUTARY_TOKEN/);
      const asReader = await hubCli(["token", "list", "--url", http], {
        TRIBUTARY_TOKEN: alice.token,
      });
      assertEquals(asReader.code, 1);
      assertMatch(asReader.stderr, /^403: role "reader"/);
      const revoked = await hubCli(["token", "revoke", "alice", "--url", http], {
        TRIBUTARY_TOKEN: admin.token,
      });
      assertEquals(revoked.code, 0, revoked.stderr);
      assertEquals(JSON.parse(revoked.stdout), { revoked: [alice.id] });
    } finally {
      await hub.stop();
    }
    const listed = await hubCli(["token", "list", "-c", configFile]);
    assertEquals(listed.code, 0, listed.stderr);
    const tokens = JSON.parse(listed.stdout) as { name: string; revoked_at: string | null }[];
    assertEquals(tokens.map((t) => [t.name, t.revoked_at === null]), [["ops", true], [
      "alice",
      false,
    ]]);
    assert(!listed.stdout.includes(admin.token));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
