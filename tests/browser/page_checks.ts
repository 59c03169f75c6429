/**
 * Helpers the dashboard's browser tests share: where artifacts go, a page
 * error collector, and waits on the panels' `data-state`.
 *
 * @module
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { REPO_ROOT } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";

/** Screenshots go here (gitignored). */
export const ARTIFACTS: string = join(REPO_ROOT, "test-artifacts");

/** Saves a screenshot of `page` as test-artifacts/`name`. */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage });
}

/**
 * Collects uncaught page errors and console errors; a clean page has none.
 * 401 answers are left out: they are how the page learns it needs a token.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 401/.test(message.text())) {
      errors.push(`console: ${message.text()}`);
    }
  });
  return errors;
}

/** Waits until panel `#id` shows real data (`data-state="ready"`). */
export async function waitPanelReady(page: Page, id: string, timeoutMs = 45_000): Promise<void> {
  await page.waitForSelector(`#${id} .panel-body[data-state="ready"]`, { timeout: timeoutMs });
}

/** Polls (through Playwright calls) until `check` holds. */
export function until(
  check: () => Promise<boolean | undefined>,
  message: string,
): Promise<unknown> {
  return waitFor(check, { timeoutMs: 30_000, intervalMs: 200, message });
}

/** The number in a text like "1,234.5 rows/s" (NaN-free: 0 when none). */
export function numberIn(text: string | null): number {
  return Number((text ?? "").replace(/[^0-9.]/g, "")) || 0;
}
