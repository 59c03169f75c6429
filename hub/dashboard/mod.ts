/**
 * The dashboard, served by the hub at `/` without auth (the page holds no
 * data; every figure it shows comes from API calls that carry the user's
 * token). Routes:
 * - `GET /` → web/index.html
 * - `GET /assets/app.js` → web/main.ts bundled for the browser (built on the
 *   first request and kept in memory; see bundle.ts)
 * - `GET /assets/style.css` → web/style.css
 * - `GET /assets/uPlot.min.css` → uPlot's stylesheet from node_modules
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Env, Hono } from "hono";
import { bundleBrowserScript, type BundleOptions, DASHBOARD_ENTRY } from "./bundle.ts";

/** Options of {@linkcode mountDashboard}. */
export interface DashboardOptions {
  /** Builds the browser script. @default bundleBrowserScript(DASHBOARD_ENTRY) */
  bundle?: () => Promise<string>;
  /** Passed to the default bundler. */
  bundleOptions?: BundleOptions;
}

const WEB = new URL("./web/", import.meta.url);
const NO_CACHE = { "cache-control": "no-cache" };

/**
 * Adds the dashboard's routes to `app`. Register it before the app's
 * `notFound` handler matters (Hono resolves routes, not registration order,
 * so any point before serving works).
 *
 * @example
 * ```ts
 * const app = new Hono();
 * mountDashboard(app);
 * ```
 */
export function mountDashboard<E extends Env>(app: Hono<E>, options: DashboardOptions = {}): void {
  const build = options.bundle ??
    (() => bundleBrowserScript(DASHBOARD_ENTRY, options.bundleOptions));
  // One build per hub; a failed build is retried on the next request instead of being cached.
  let script: Promise<string> | undefined;
  const bundled = () => {
    script ??= build().catch((error) => {
      script = undefined;
      throw error;
    });
    return script;
  };

  app.get(
    "/",
    async (c) => c.html(await readFile(new URL("index.html", WEB), "utf8"), 200, NO_CACHE),
  );
  app.get("/assets/app.js", async (c) => {
    try {
      return c.body(await bundled(), 200, {
        "content-type": "text/javascript; charset=utf-8",
        ...NO_CACHE,
      });
    } catch (error) {
      return c.json({ error: `dashboard script unavailable: ${(error as Error).message}` }, 503);
    }
  });
  app.get(
    "/assets/style.css",
    async (c) =>
      c.body(await readFile(new URL("style.css", WEB), "utf8"), 200, {
        "content-type": "text/css; charset=utf-8",
        ...NO_CACHE,
      }),
  );
  app.get(
    "/assets/uPlot.min.css",
    async (c) =>
      c.body(await readFile(uplotCssPath(), "utf8"), 200, {
        "content-type": "text/css; charset=utf-8",
        "cache-control": "max-age=3600",
      }),
  );
}

/** Where uPlot's stylesheet is installed (resolved through node_modules, as Node would). */
export function uplotCssPath(): string {
  return createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css");
}
