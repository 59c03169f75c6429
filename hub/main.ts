/**
 * The hub command line.
 *
 * ```
 * deno run -A hub/main.ts run [--config FILE]
 * deno run -A hub/main.ts token create --name NAME --role ROLE [--config FILE | --url URL]
 * deno run -A hub/main.ts --help
 * ```
 *
 * When ready it prints one JSON line to stdout,
 * `{"event":"ready","http":"http://127.0.0.1:PORT","mqtt":"mqtt://127.0.0.1:PORT"}`;
 * logs go to stderr. SIGINT or SIGTERM stop it (draining) with exit code 0; a
 * configuration error exits with 2, any other start failure with 1. Only this
 * file exits the process.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { loadHubConfig } from "./config.ts";
import { Hub } from "./hub.ts";
import {
  parseTokenCommand,
  runTokenCommand,
  TOKEN_ENV,
  type TokenTarget,
} from "./auth/token_cli.ts";

/** The text `--help` prints. */
export const HELP =
  `Tributary hub: receives batches from agents over MQTT and stores them in DuckDB.

Usage:
  deno run -A hub/main.ts run [--config FILE]
  deno run -A hub/main.ts token create --name NAME --role reader|agent|admin [--config FILE | --url URL]
  deno run -A hub/main.ts token list [--config FILE | --url URL]
  deno run -A hub/main.ts token revoke ID_OR_NAME [--config FILE | --url URL]
  deno run -A hub/main.ts --help

Commands:
  run              Start the hub (embedded MQTT broker unless mqtt.url is set).
  token ...        Manage API tokens. Without --url: in <data_dir>/auth.duckdb of the
                   config (only while the hub is stopped; it holds the file's lock).
                   With --url: through the running hub's admin API, authenticated by
                   the admin token in TRIBUTARY_TOKEN. The new token is printed once.

Options:
  -c, --config FILE  TOML config file; without it, the defaults apply.
      --name NAME    token create: the token's name (letters, digits, _ . @ -).
      --role ROLE    token create: reader, agent or admin.
      --url URL      token: talk to a running hub at URL (http:// or https://).
      --ca FILE      token --url: PEM file of the CA that signed the hub's certificate.
  -h, --help         Show this help.

Environment:
  TRIBUTARY_MQTT_PASSWORD  overrides mqtt.password.
  TRIBUTARY_TOKEN          admin token for "token ... --url".

On start the hub prints one JSON line to stdout:
  {"event":"ready","http":"http://HOST:PORT","mqtt":"mqtt://HOST:PORT"}
Logs are JSON lines on stderr. SIGINT/SIGTERM stop it; exit codes: 0 stopped,
1 failed to start, 2 bad command line or configuration.

Every config option and its default: docs/hub.md (sample: hub/hub.example.toml).
`;

/** Runs the command line `args`; resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
        name: { type: "string" },
        role: { type: "string" },
        url: { type: "string" },
        ca: { type: "string" },
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n\n${HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  if (command === "token") return await token(rest, parsed.values);
  if (command !== "run" || rest.length > 0) {
    console.error(`unknown command: ${parsed.positionals.join(" ") || "(none)"}\n\n${HELP}`);
    return 2;
  }
  return await run(parsed.values.config);
}

async function token(
  positionals: string[],
  values: { config?: string; name?: string; role?: string; url?: string; ca?: string },
): Promise<number> {
  const command = parseTokenCommand(positionals, values);
  if (typeof command === "string") {
    console.error(`${command}\n\n${HELP}`);
    return 2;
  }
  let target: TokenTarget;
  if (values.url !== undefined) {
    target = { kind: "api", url: values.url, token: Deno.env.get(TOKEN_ENV), caFile: values.ca };
  } else {
    try {
      target = { kind: "file", config: await loadHubConfig(values.config) };
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 2;
      }
      throw error;
    }
  }
  return await runTokenCommand(command, target, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}

async function run(configPath: string | undefined): Promise<number> {
  let config;
  try {
    config = await loadHubConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const log = createLogger({ level: config.hub.log_level, fields: { component: "hub" } });
  // A bug must not take the hub down: log what escaped and keep serving.
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    log.error("unhandled rejection", { error: event.reason });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);

  const hub = new Hub(config, { log });
  let endpoints;
  try {
    endpoints = await hub.start();
  } catch (error) {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    log.error("hub failed to start", { error });
    return 1;
  }
  const stopped = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => stopped.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  console.log(JSON.stringify({ event: "ready", http: endpoints.http, mqtt: endpoints.mqtt }));

  await stopped.promise;
  log.info("signal received; stopping");
  // Keep the listeners until the hub has stopped: Ctrl-C under `deno task`
  // reaches us twice (the group's SIGINT and the parent's forwarded one), and
  // without a listener the second would kill the hub mid-drain (exit 130).
  await hub.stop();
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  globalThis.removeEventListener("unhandledrejection", onRejection);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
