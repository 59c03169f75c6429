/**
 * The dashboard's login prompt in headless Chromium against real hubs: in
 * token mode without a token or with a wrong one, the page shows the prompt
 * (not a broken page) and works once a valid token is entered; in open mode a
 * wrong stored token is refused too, and forgetting it brings the data back.
 */
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { REPO_ROOT } from "../harness/process.ts";
import { launchChromium } from "./chromium.ts";
import { startStack } from "./sim_stack.ts";
import { saveScreenshot, waitPanelReady, watchErrors } from "./page_checks.ts";

const PROMPT = '[data-testid="login"]:not([hidden])';

/** Runs `hub/main.ts token create` and returns the new token. */
async function newToken(hubConfig: string, role: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "hub/main.ts",
      "token",
      "create",
      "--name",
      `browser-${role}`,
      "--role",
      role,
      "--config",
      hubConfig,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`token create failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text).token as string;
}

Deno.test("dashboard in token mode: a login prompt without or with a wrong token, data with a valid one", async () => {
  let token = "";
  await using stack = await startStack({
    hubExtraToml: '[auth]\nmode = "token"\n',
    beforeHub: async (config) => {
      token = await newToken(config, "reader");
    },
  });
  assertMatch(token, /^trb_/);
  await using browser = await launchChromium();
  const page = await browser.context.newPage();
  const errors = watchErrors(page);

  // No token: the prompt asks for one; the page around it is intact.
  await page.goto(`${stack.hubUrl}/`);
  await page.waitForSelector(PROMPT, { timeout: 30_000 });
  assertMatch(
    (await page.textContent('[data-testid="login-message"]')) ?? "",
    /requires an API token/,
  );
  assertEquals(await page.locator("section.panel").count(), 6);

  // A wrong token: refused, the prompt comes back and says so.
  await page.fill('[data-testid="login-token"]', "trb_not_a_real_token");
  await page.click('[data-testid="login-submit"]');
  await page.waitForSelector(PROMPT, { timeout: 30_000 });
  assertMatch((await page.textContent('[data-testid="login-message"]')) ?? "", /refused/);
  assertEquals(await page.textContent('[data-testid="live-status"]'), "sign-in required");
  await saveScreenshot(page, "dashboard-login.png", false);

  // The valid reader token: kept in localStorage, and the panels fill with data.
  await page.fill('[data-testid="login-token"]', token);
  await page.click('[data-testid="login-submit"]');
  for (const id of ["agents", "ingest", "sensors", "market", "logs"]) {
    await waitPanelReady(page, id);
  }
  assertEquals(await page.evaluate(() => localStorage.getItem("tributary.token")), token);
  // It survives a reload: no prompt this time.
  await page.reload();
  await waitPanelReady(page, "agents");
  assertEquals(await page.locator(PROMPT).count(), 0);
  assertEquals(errors, [], "no page or console errors besides the 401s");
});

Deno.test("dashboard in open mode: a wrong stored token is refused, forgetting it brings the data back", async () => {
  await using stack = await startStack();
  await using browser = await launchChromium();
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${stack.hubUrl}/`);
  await page.evaluate(() => localStorage.setItem("tributary.token", "trb_wrong_token"));
  await page.reload();

  await page.waitForSelector(PROMPT, { timeout: 30_000 });
  assertMatch((await page.textContent('[data-testid="login-message"]')) ?? "", /refused/);
  assertEquals(await page.locator("section.panel").count(), 6);

  await page.click('[data-testid="login"] [data-action="clear"]');
  await page.click('[data-testid="login-submit"]');
  await page.waitForSelector('[data-testid="login"][hidden]', { state: "attached" });
  await waitPanelReady(page, "agents");
  assertEquals(await page.evaluate(() => localStorage.getItem("tributary.token")), null);
  assertEquals(errors, [], "no page or console errors besides the 401s");
});
