/**
 * The dashboard's entry point (bundled for the browser by the hub, see
 * ../bundle.ts): builds the panels and polls the hub every 2 s while the tab
 * is visible. A 401 from any call stops polling and opens the login prompt.
 *
 * @module
 */
import { ApiClient, ApiError, Unauthorized } from "./api.ts";
import { formatClock } from "./format.ts";
import { loginPrompt } from "./login.ts";
import { agentsPanel } from "./panels/agents.ts";
import { ingestPanel } from "./panels/ingest.ts";
import { logsPanel } from "./panels/logs.ts";
import { marketPanel } from "./panels/market.ts";
import type { Panel, PanelContext } from "./panels/panel.ts";
import { sensorsPanel } from "./panels/sensors.ts";
import { sqlConsole } from "./panels/sql_console.ts";

const POLL_MS = 2_000;

function start(): void {
  const api = new ApiClient({ store: localStorage });
  const ctx: PanelContext = { api, now: () => Date.now() };
  const status = document.getElementById("live-status")!;
  const setStatus = (state: "live" | "down" | "locked", text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), ms);
  };
  const askForToken = () => {
    login.show(
      api.token
        ? "The hub refused this token. Enter a valid API token."
        : "This hub requires an API token. Enter yours to continue.",
    );
    setStatus("locked", "sign-in required");
  };
  const login = loginPrompt(api, () => schedule(0));
  const panels: Panel[] = [
    agentsPanel(ctx),
    ingestPanel(ctx),
    sensorsPanel(ctx),
    marketPanel(ctx),
    logsPanel(ctx),
  ];
  sqlConsole(ctx, askForToken);
  document.getElementById("token-button")!.addEventListener(
    "click",
    () => login.show("Set or change the API token used by this browser."),
  );

  async function tick(): Promise<void> {
    if (running || login.open) return;
    if (document.hidden) return schedule(POLL_MS);
    running = true;
    try {
      await api.text("/healthz");
      // In parallel: the hub answers each query on its own connection, and a tick then takes
      // as long as the slowest panel, not the sum of all.
      const results = await Promise.allSettled(panels.map((panel) => panel.refresh()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      setStatus("live", `live · ${formatClock(Date.now()).slice(0, 8)} UTC`);
      schedule(POLL_MS);
    } catch (error) {
      if (error instanceof Unauthorized) return askForToken();
      setStatus(
        "down",
        error instanceof ApiError && error.status === 0 ? "hub unreachable" : "error",
      );
      schedule(POLL_MS * 2);
    } finally {
      running = false;
    }
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedule(0);
  });
  schedule(0);
}

start();
