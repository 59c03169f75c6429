import { Hono } from "hono";
import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { mountDashboard } from "./mod.ts";

Deno.test("mountDashboard serves the page, the stylesheets and the bundled script without auth", async () => {
  const app = new Hono();
  mountDashboard(app);
  const page = await app.request("/");
  assertEquals(page.status, 200);
  const html = await page.text();
  assertMatch(html, /<script type="module" src="\/assets\/app.js">/);
  assert(!/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, "")), "no external URL in the page");
  for (const id of ["agents", "ingest", "sensors", "market", "logs", "sql", "login"]) {
    assertMatch(html, new RegExp(`id="${id}"`), `panel ${id}`);
  }

  const css = await app.request("/assets/style.css");
  assertEquals(css.headers.get("content-type"), "text/css; charset=utf-8");
  assertMatch(await css.text(), /\.panel/);
  const uplotCss = await app.request("/assets/uPlot.min.css");
  assertEquals(uplotCss.status, 200);
  assertMatch(await uplotCss.text(), /\.uplot/);

  const js = await app.request("/assets/app.js");
  assertEquals(js.status, 200);
  assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  const text = await js.text();
  assertMatch(text, /tributary\.token/, "the app's own code is in the bundle");
  assertMatch(text, /u-legend|uplot/, "uPlot is bundled in, not loaded from a CDN");
  assert(!/\bimport\s*[{*\w].*from\s*["']/.test(text.slice(0, 2000)), "no bare imports left");
});

Deno.test("mountDashboard builds the script once and retries after a failed build", async () => {
  let builds = 0;
  const app = new Hono();
  mountDashboard(app, {
    bundle: () => {
      builds += 1;
      return builds === 1 ? Promise.reject(new Error("esbuild missing")) : Promise.resolve("ok()");
    },
  });
  const failed = await app.request("/assets/app.js");
  assertEquals(failed.status, 503);
  assertMatch((await failed.json()).error, /esbuild missing/);
  assertEquals(await (await app.request("/assets/app.js")).text(), "ok()");
  assertEquals(await (await app.request("/assets/app.js")).text(), "ok()");
  assertEquals(builds, 2);
});
