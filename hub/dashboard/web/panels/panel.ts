/**
 * What every dashboard panel shares: the API client, and a body element whose
 * `data-state` tells a reader (and the browser test) whether it shows data.
 *
 * @module
 */
import { type ApiClient, Unauthorized } from "../api.ts";
import { errorLine, replaceChildren } from "../dom.ts";

/** A panel refreshed by the page's poll loop. */
export interface Panel {
  /** Fetches and redraws. Throws {@linkcode Unauthorized} so the page can ask for a token. */
  refresh(): Promise<void>;
}

/** The state a panel body shows: `loading`, `ready` (real data), `empty` or `error`. */
export type PanelState = "loading" | "ready" | "empty" | "error";

/** Sets the body's `data-state`. */
export function setState(body: HTMLElement, state: PanelState): void {
  body.dataset.state = state;
}

/**
 * Runs `work`; an {@linkcode Unauthorized} is rethrown, any other error is
 * shown in `errorSlot` (so one failing panel never breaks the page).
 */
export async function guarded(
  body: HTMLElement,
  errorSlot: HTMLElement,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
    replaceChildren(errorSlot);
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    setState(body, "error");
    replaceChildren(errorSlot, errorLine(error instanceof Error ? error.message : String(error)));
  }
}

/** What a panel is built with. */
export interface PanelContext {
  api: ApiClient;
  /** Ms since the epoch; injectable for a stable display. */
  now(): number;
}

/** Finds the panel's body (`#id .panel-body`) and error slot. */
export function panelParts(
  id: string,
): { body: HTMLElement; errors: HTMLElement; tools: HTMLElement } {
  const section = document.getElementById(id);
  if (!section) throw new Error(`panel #${id} missing from the page`);
  return {
    body: section.querySelector<HTMLElement>(".panel-body")!,
    errors: section.querySelector<HTMLElement>(".panel-errors")!,
    tools: section.querySelector<HTMLElement>(".panel-tools")!,
  };
}
