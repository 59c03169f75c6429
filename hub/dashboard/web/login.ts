/**
 * The login prompt: shown when the hub answers 401 (no token or a wrong
 * one); stores the token the user enters and lets the page poll again.
 *
 * @module
 */
import type { ApiClient } from "./api.ts";

/** The prompt's controls. */
export interface LoginPrompt {
  /** True while the prompt is showing. */
  readonly open: boolean;
  /** Shows the prompt with `message`. */
  show(message: string): void;
}

/** Wires the `#login` dialog; `onToken` runs after a token is saved. */
export function loginPrompt(api: ApiClient, onToken: () => void): LoginPrompt {
  const overlay = document.getElementById("login")!;
  const form = overlay.querySelector("form")!;
  const input = overlay.querySelector<HTMLInputElement>("input[name=token]")!;
  const message = overlay.querySelector<HTMLElement>(".login-message")!;
  const close = () => {
    overlay.hidden = true;
    document.body.classList.remove("locked");
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    api.setToken(input.value);
    input.value = "";
    close();
    onToken();
  });
  overlay.querySelector("[data-action=clear]")?.addEventListener("click", () => {
    api.setToken("");
    input.value = "";
    message.textContent = "Token removed from this browser.";
  });
  return {
    get open() {
      return !overlay.hidden;
    },
    show(text: string) {
      message.textContent = text;
      overlay.hidden = false;
      document.body.classList.add("locked");
      input.focus();
    },
  };
}
