/**
 * `hub token create|list|revoke`: token management from the command line.
 *
 * Two ways to reach the tokens:
 * - offline (default): open `<data_dir>/auth.duckdb` of the config directly. This works while
 *   the hub is stopped (the way to make the first admin token).
 * - `--url https://hub:8080`: call the running hub's admin API with the admin token in the
 *   environment variable `TRIBUTARY_TOKEN` (the hub holds the file's lock while it runs); without
 *   it, only a hub in open mode answers.
 *
 * @module
 */
import { join } from "node:path";
import type { HubConfig } from "../config.ts";
import { AUTH_DB_FILE, AuthStore } from "./auth_store.ts";
import { isRole, type Role, ROLES } from "./roles.ts";

/** The environment variable holding the admin token for `--url`. */
export const TOKEN_ENV = "TRIBUTARY_TOKEN";

/** A token command. */
export type TokenCommand =
  | { action: "create"; name: string; role: Role }
  | { action: "list" }
  | { action: "revoke"; id: string };

/** Where the command runs. */
export type TokenTarget =
  | { kind: "file"; config: HubConfig }
  | { kind: "api"; url: string; token: string | undefined; caFile?: string };

/** Output streams, so tests can capture them. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Parses `create --name N --role R`, `list`, `revoke ID_OR_NAME` (positionals and
 * values already split by the caller). Returns an error text when not valid.
 */
export function parseTokenCommand(
  positionals: string[],
  values: { name?: string; role?: string },
): TokenCommand | string {
  const [action, ...rest] = positionals;
  if (action === "create" && rest.length === 0) {
    if (!values.name || !/^[\w.@-]{1,64}$/.test(values.name)) {
      return `--name: got ${
        JSON.stringify(values.name ?? "")
      }, expected 1-64 of letters, digits, _ . @ -`;
    }
    if (!isRole(values.role)) {
      return `--role: got ${JSON.stringify(values.role ?? "")}, expected one of ${
        ROLES.join(", ")
      }`;
    }
    return { action, name: values.name, role: values.role };
  }
  if (action === "list" && rest.length === 0) return { action };
  if (action === "revoke" && rest.length === 1) return { action, id: rest[0]! };
  return `expected "token create --name NAME --role ROLE", "token list" or "token revoke ID_OR_NAME", got "token ${
    positionals.join(" ")
  }"`;
}

/** Runs `command`; resolves with the exit code (0 done, 1 failed). */
export async function runTokenCommand(
  command: TokenCommand,
  target: TokenTarget,
  io: CliOutput,
): Promise<number> {
  try {
    const result = target.kind === "file"
      ? await viaFile(command, target.config)
      : await viaApi(command, target);
    io.out(JSON.stringify(result, null, 2));
    if (command.action === "create") {
      io.err("Keep the token now: only its hash is stored, it cannot be shown again.");
    }
    return 0;
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

async function viaFile(command: TokenCommand, config: HubConfig): Promise<unknown> {
  await Deno.mkdir(config.hub.data_dir, { recursive: true });
  const path = join(config.hub.data_dir, AUTH_DB_FILE);
  let store: AuthStore;
  try {
    store = await AuthStore.open({ path });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(text)) {
      throw new Error(
        `${path} is locked, probably by the running hub: use --url http(s)://HOST:PORT with an admin token in ${TOKEN_ENV}`,
      );
    }
    throw new Error(`cannot open ${path}: ${text}`);
  }
  try {
    switch (command.action) {
      case "create":
        return await store.createToken({ name: command.name, role: command.role });
      case "list":
        return await store.listTokens();
      case "revoke": {
        const revoked = await store.revokeToken(command.id);
        if (!revoked.length) throw new Error(`no valid token with id or name "${command.id}"`);
        return { revoked };
      }
    }
  } finally {
    await store.close();
  }
}

async function viaApi(
  command: TokenCommand,
  target: Extract<TokenTarget, { kind: "api" }>,
): Promise<unknown> {
  const base = target.url.replace(/\/+$/, "");
  const client = target.caFile
    ? Deno.createHttpClient({ caCerts: [await Deno.readTextFile(target.caFile)] })
    : undefined;
  // Without a token the call goes out bare: a hub in open mode (loopback) admits it as admin.
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  try {
    const request = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers, client } as RequestInit);
    const response = command.action === "create"
      ? await request("/api/v1/tokens", {
        method: "POST",
        body: JSON.stringify({ name: command.name, role: command.role }),
      })
      : command.action === "list"
      ? await request("/api/v1/tokens")
      : await request(`/api/v1/tokens/${encodeURIComponent(command.id)}`, { method: "DELETE" });
    const body = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) {
      const hint = response.status === 401 && !target.token
        ? ` (set ${TOKEN_ENV} to an admin token)`
        : "";
      throw new Error(`${response.status}: ${body.error ?? JSON.stringify(body)}${hint}`);
    }
    return command.action === "list" ? body.tokens : body;
  } finally {
    client?.close();
  }
}
