import { assertEquals } from "@tributary/shared/testing/asserts";
import { launchChromium } from "./chromium.ts";

Deno.test("launchChromium renders a page and removes its profile on close", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.setContent("<h1 id=t>tributary</h1><script>document.title = String(6 * 7)</script>");
    assertEquals(await page.textContent("#t"), "tributary");
    assertEquals(await page.title(), "42");
  } finally {
    await browser.close();
  }
  let exists = true;
  try {
    await Deno.stat(browser.userDataDir);
  } catch {
    exists = false;
  }
  assertEquals(exists, false, "profile dir removed");
});
