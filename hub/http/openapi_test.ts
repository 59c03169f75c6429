import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { withApi } from "./testing/api_fixture.ts";
import { openApiDocument } from "./openapi.ts";

/** `/api/v1/tokens/:id` → `/api/v1/tokens/{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, "{$1}");

Deno.test("openApiDocument describes every route of the app, and no route that does not exist", async () => {
  await withApi(({ app }) => {
    const routes = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
        // The dashboard's page and static assets (hub/dashboard/) are not part of the API.
        .filter((r) => r.path.startsWith("/api/") || r.path === "/healthz" || r.path === "/metrics")
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const described = new Set(
      Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    assertEquals([...routes].filter((r) => !described.has(r)), [], "routes without a description");
    assertEquals([...described].filter((d) => !routes.has(d)), [], "descriptions without a route");
    assert(routes.size >= 15);
    return Promise.resolve();
  });
});

Deno.test("GET /api/v1/openapi.json serves the document without a token", async () => {
  await withApi(async ({ app }) => {
    const response = await app.request("/api/v1/openapi.json");
    assertEquals(response.status, 200);
    const document = await response.json();
    assertEquals(document.openapi, "3.1.0");
    assertEquals(document.components.securitySchemes.bearer.scheme, "bearer");
  });
});
