/**
 * Headless Chromium (the Debian package) driven by npm `playwright-core`,
 * with a fresh profile directory per launch that is removed on close.
 *
 * @example
 * ```ts
 * await using browser = await launchChromium();
 * const page = await browser.context.newPage();
 * ```
 *
 * @module
 */
import { type BrowserContext, chromium } from "playwright-core";

/** The flags the project runs Chromium with: no network of its own, no GPU, no sandbox (root in CI). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Options of {@linkcode launchChromium}. */
export interface LaunchOptions {
  /** @default $CHROMIUM_BIN or /usr/bin/chromium */
  executablePath?: string;
  /** Viewport size. @default 1440×1600 */
  viewport?: { width: number; height: number };
  /** Launch timeout in ms. @default 60_000 */
  timeoutMs?: number;
}

/** A running browser with its own profile. */
export interface Chromium extends AsyncDisposable {
  readonly context: BrowserContext;
  /** The `--user-data-dir` in use (removed by `close()`). */
  readonly userDataDir: string;
  /** Closes the browser and removes the profile. Idempotent. */
  close(): Promise<void>;
}

/** Raised when no Chromium binary is installed, with the install command. */
export class ChromiumMissing extends Error {
  override readonly name = "ChromiumMissing";
}

/**
 * Launches headless Chromium.
 *
 * @throws {ChromiumMissing} when the binary is absent.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Chromium> {
  const executablePath = options.executablePath ?? Deno.env.get("CHROMIUM_BIN") ??
    "/usr/bin/chromium";
  try {
    await Deno.stat(executablePath);
  } catch {
    throw new ChromiumMissing(
      `${executablePath} not found: apt-get install -y chromium (or set CHROMIUM_BIN)`,
    );
  }
  const userDataDir = await Deno.makeTempDir({ prefix: "tributary-chromium-" });
  let context: BrowserContext;
  try {
    // Playwright passes --user-data-dir itself for a persistent context.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: options.viewport ?? { width: 1440, height: 1600 },
      timeout: options.timeoutMs ?? 60_000,
    });
  } catch (error) {
    await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await context.close().catch(() => {});
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
    })();
  return { context, userDataDir, close, [Symbol.asyncDispose]: close };
}
