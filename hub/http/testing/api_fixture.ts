/**
 * A hub API over an in-memory hot store and auth store, in token mode, with
 * one token per role; for the route tests.
 *
 * @module
 */
import { createLogger } from "@tributary/shared/log";
import { HotStore } from "../../store/hot_store.ts";
import { AuthStore } from "../../auth/auth_store.ts";
import { createHubMetrics, type HubMetrics } from "../../metrics.ts";
import { createHubApp, type HubAppOptions } from "../app.ts";
import type { Role } from "../../auth/roles.ts";

/** What {@linkcode withApi} hands to a test. */
export interface ApiFixture {
  app: ReturnType<typeof createHubApp>;
  store: HotStore;
  auth: AuthStore;
  metrics: HubMetrics;
  /** A valid token per role. */
  tokens: Record<Role, string>;
  /** Calls `path` with the token of `role` (none when `role` is undefined). */
  call(path: string, role: Role | undefined, init?: RequestInit): Promise<Response>;
  /** Runs SQL with full rights on the store (to arrange test data). */
  exec(sql: string): Promise<void>;
}

/** Options of {@linkcode withApi}. */
export type ApiFixtureOptions =
  & Partial<Pick<HubAppOptions, "query" | "staleAfterS" | "concurrency">>
  & {
    mode?: "token" | "open";
    publicMetrics?: boolean;
  };

/** Runs `fn` with a fresh fixture and closes everything after. */
export async function withApi(
  fn: (fixture: ApiFixture) => Promise<void>,
  options: ApiFixtureOptions = {},
): Promise<void> {
  const store = await HotStore.open({ path: ":memory:" });
  const auth = await AuthStore.open({ path: ":memory:" });
  try {
    const metrics = createHubMetrics({ defaultMetrics: false });
    const app = createHubApp({
      store,
      registry: metrics.registry,
      log: createLogger({ sink: () => {} }),
      query: options.query,
      staleAfterS: options.staleAfterS,
      concurrency: options.concurrency,
      auth: { mode: options.mode ?? "token", store: auth, publicMetrics: options.publicMetrics },
    });
    const tokens = {} as Record<Role, string>;
    for (const role of ["admin", "reader", "agent"] as const) {
      tokens[role] = (await auth.createToken({ name: `${role}-1`, role })).token;
    }
    const call = async (path: string, role: Role | undefined, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (role) headers.set("authorization", `Bearer ${tokens[role]}`);
      return await app.request(path, { ...init, headers });
    };
    const exec = async (sql: string) => {
      const connection = await store.connect();
      try {
        await connection.run(sql);
      } finally {
        connection.closeSync();
      }
    };
    await fn({ app, store, auth, metrics, tokens, call, exec });
  } finally {
    await auth.close();
    await store.close();
  }
}

/** A JSON POST body for `/api/v1/query`. */
export function sqlBody(sql: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    body: JSON.stringify({ sql }),
    headers: { "content-type": "application/json", ...headers },
  };
}
