/**
 * Small fetch helpers for tests: every call has a timeout and always consumes
 * the response body (an unread body leaks a resource under the sanitizers).
 *
 * @module
 */
export { type Truthy, waitFor, type WaitForOptions } from "./wait_for.ts";

/** Options of the fetch helpers. */
export interface HttpOptions {
  /** Abort the request, body included, after this long. @default 5_000 */
  timeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** A response whose body has been read. */
export interface HttpResponse<B> {
  /** The HTTP status code. */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** The body: parsed JSON (`unknown`, validate before use) or text. */
  body: B;
}

/** Raised when a request times out or a JSON body does not parse; names the method and URL. */
export class HttpHelperError extends Error {
  override readonly name = "HttpHelperError";
}

/**
 * GETs `url` and parses the body as JSON (an empty body gives `null`).
 *
 * @throws {HttpHelperError} on timeout or a body that is not JSON.
 */
export function getJson(url: string, options: HttpOptions = {}): Promise<HttpResponse<unknown>> {
  return requestJson("GET", url, undefined, options);
}

/**
 * POSTs `payload` as JSON to `url` and parses the body as JSON (empty → `null`).
 *
 * @example
 * ```ts
 * const res = await postJson(`${hub}/api/v1/query`, { sql: "SELECT 1" });
 * ```
 * @throws {HttpHelperError} on timeout or a body that is not JSON.
 */
export function postJson(
  url: string,
  payload: unknown,
  options: HttpOptions = {},
): Promise<HttpResponse<unknown>> {
  return requestJson("POST", url, JSON.stringify(payload), {
    ...options,
    headers: { "content-type": "application/json", ...options.headers },
  });
}

/**
 * GETs `url` and returns the body as text (e.g. a `/metrics` page).
 *
 * @throws {HttpHelperError} on timeout.
 */
export function getText(url: string, options: HttpOptions = {}): Promise<HttpResponse<string>> {
  return request("GET", url, undefined, options);
}

/**
 * Sends any request with a text body and returns the body as text.
 *
 * @throws {HttpHelperError} on timeout.
 */
export async function request(
  method: string,
  url: string,
  body: string | Uint8Array<ArrayBuffer> | undefined,
  options: HttpOptions = {},
): Promise<HttpResponse<string>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method,
      body,
      headers: options.headers,
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text };
  } catch (error) {
    if (controller.signal.aborted) {
      throw new HttpHelperError(`${method} ${url}: no complete response within ${timeoutMs} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function requestJson(
  method: string,
  url: string,
  body: string | undefined,
  options: HttpOptions,
): Promise<HttpResponse<unknown>> {
  const response = await request(method, url, body, options);
  if (response.body.trim() === "") return { ...response, body: null };
  try {
    return { ...response, body: JSON.parse(response.body) as unknown };
  } catch {
    throw new HttpHelperError(
      `${method} ${url}: status ${response.status}, body is not JSON: ${
        JSON.stringify(response.body.slice(0, 200))
      }`,
    );
  }
}
