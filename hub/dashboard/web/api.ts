/**
 * The dashboard's client of the hub API: adds the stored token as
 * `Authorization: Bearer`, turns a 401 into {@linkcode Unauthorized} (the page
 * then shows its login prompt) and any other failure into {@linkcode ApiError}
 * with the hub's `{"error"}` text.
 *
 * @module
 */

/** localStorage key of the API token. */
export const TOKEN_KEY = "tributary.token";

/** The part of `Storage` the client uses (localStorage in the browser). */
export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The hub answered 401: no token, or a wrong one. */
export class Unauthorized extends Error {
  override readonly name = "Unauthorized";
}

/** The hub answered with another error status, or could not be reached. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status; 0 when the request did not complete. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** The JSON answer of `POST /api/v1/query`. */
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated?: boolean;
}

/** Options of {@linkcode ApiClient}. */
export interface ApiClientOptions {
  store: TokenStore;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Prefix of every path, e.g. `http://127.0.0.1:8080`. @default "" (same origin) */
  baseUrl?: string;
  /** Per-request timeout in ms. @default 20_000 */
  timeoutMs?: number;
}

/**
 * Calls the hub API.
 *
 * @example
 * ```ts
 * const api = new ApiClient({ store: localStorage });
 * const { rows } = await api.query("SELECT count(*) FROM logs");
 * ```
 */
export class ApiClient {
  readonly #store: TokenStore;
  readonly #fetch: typeof fetch;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.#store = options.store;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#baseUrl = options.baseUrl ?? "";
    this.#timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** The stored token, or null. */
  get token(): string | null {
    return this.#store.getItem(TOKEN_KEY);
  }

  /** Stores `token` (an empty one removes it). */
  setToken(token: string): void {
    const trimmed = token.trim();
    if (trimmed === "") this.#store.removeItem(TOKEN_KEY);
    else this.#store.setItem(TOKEN_KEY, trimmed);
  }

  /** `GET path` as JSON. */
  async json<T>(path: string): Promise<T> {
    return await (await this.#request(path)).json() as T;
  }

  /** `GET path` as text (e.g. `/metrics`). */
  async text(path: string): Promise<string> {
    return await (await this.#request(path)).text();
  }

  /** Runs read-only SQL through `POST /api/v1/query`. */
  async query(sql: string): Promise<QueryResult> {
    const response = await this.#request("/api/v1/query", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ sql }),
    });
    return await response.json() as QueryResult;
  }

  async #request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.token;
    if (token) headers.set("authorization", `Bearer ${token}`);
    let response: Response;
    try {
      response = await this.#fetch(this.#baseUrl + path, {
        ...init,
        headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new ApiError(`hub unreachable: ${error instanceof Error ? error.message : error}`, 0);
    }
    if (response.ok) return response;
    const message = await errorText(response);
    if (response.status === 401) throw new Unauthorized(message);
    throw new ApiError(message, response.status);
  }
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim() || `HTTP ${response.status}`;
}
