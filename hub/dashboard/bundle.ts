/**
 * Bundles the dashboard's browser TypeScript (web/main.ts and what it
 * imports, uPlot included) into one ES module with `deno bundle`, run as a
 * child of the same Deno binary. `deno bundle` uses esbuild, which Deno
 * fetches once from the npm registry into its cache; nothing is fetched at
 * page load and the page needs no CDN.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** The browser entry point. */
export const DASHBOARD_ENTRY: URL = new URL("./web/main.ts", import.meta.url);

/** `deno bundle` failed; the message holds its output tail. */
export class DashboardBundleError extends Error {
  override readonly name = "DashboardBundleError";
}

/** Options of {@linkcode bundleBrowserScript}. */
export interface BundleOptions {
  /** The Deno binary. @default Deno.execPath() */
  deno?: string;
  /** Minify the output. @default true */
  minify?: boolean;
  /** Give up after this long, in ms. @default 60_000 */
  timeoutMs?: number;
}

/**
 * Bundles `entry` for the browser and returns the JavaScript text.
 *
 * @example
 * ```ts
 * const js = await bundleBrowserScript(DASHBOARD_ENTRY);
 * ```
 * @throws {DashboardBundleError} when `deno bundle` fails or times out.
 */
export async function bundleBrowserScript(
  entry: URL = DASHBOARD_ENTRY,
  options: BundleOptions = {},
): Promise<string> {
  const path = fromFileUrl(entry);
  const args = ["bundle", "--quiet", "--platform", "browser", "--format", "esm"];
  if (options.minify ?? true) args.push("--minify");
  args.push(path);
  const command = new Deno.Command(options.deno ?? Deno.execPath(), {
    args,
    // Run from the entry's folder so the workspace's deno.json (npm imports) is found.
    cwd: fromFileUrl(new URL(".", entry)),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
  let output: Deno.CommandOutput;
  try {
    output = await command.output();
  } catch (error) {
    throw new DashboardBundleError(`deno bundle ${path} could not run: ${error}`);
  }
  const stderr = new TextDecoder().decode(output.stderr).trim();
  const js = new TextDecoder().decode(output.stdout);
  if (!output.success || js.trim() === "") {
    throw new DashboardBundleError(
      `deno bundle ${path} failed (code ${output.code}${
        output.signal ? `, ${output.signal}` : ""
      }): ${stderr.slice(-2000) || "no output"}`,
    );
  }
  return js;
}
