/**
 * An embedded MQTT broker (aedes, MQTT 3.1.1 only) on a `node:net` server, so
 * the hub runs with nothing installed but Deno. Sessions and queued messages
 * live in memory: a hub restart loses what agents published meanwhile and did
 * not get acknowledged, which they will re-send (they retire rows only on the
 * hub's acknowledgement).
 *
 * Needs `--allow-net` and `--allow-env` (aedes reads the environment).
 *
 * @module
 */
import { createServer, type Server, type Socket } from "node:net";
// aedes is CommonJS: its default export is the module, which carries createBroker.
import aedesModule from "aedes";
import type { Logger } from "@tributary/shared/log";
import type { ListenAddress } from "../config.ts";

/** Options of {@linkcode EmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  listen: ListenAddress;
  log: Logger;
}

/**
 * The embedded broker.
 *
 * @example
 * ```ts
 * const broker = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log });
 * const port = await broker.start();
 * // ... mqtt://127.0.0.1:<port>
 * await broker.stop();
 * ```
 */
export class EmbeddedBroker {
  readonly #options: EmbeddedBrokerOptions;
  #aedes: ReturnType<typeof aedesModule.createBroker> | undefined;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #port: number | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: EmbeddedBrokerOptions) {
    this.#options = options;
  }

  /** The broker URL, once started. */
  get url(): string | undefined {
    if (this.#port === undefined) return undefined;
    const host = this.#options.listen.hostname;
    return `mqtt://${host.includes(":") ? `[${host}]` : host}:${this.#port}`;
  }

  /**
   * Starts listening. Resolves with the bound port.
   *
   * @throws when the address cannot be bound (e.g. in use).
   */
  async start(): Promise<number> {
    if (this.#port !== undefined) return this.#port;
    const log = this.#options.log;
    // Agents' client ids embed their agent id (up to 64 characters); aedes allows 23 by default.
    const aedes = aedesModule.createBroker({ maxClientsIdLength: 256 });
    aedes.on("clientError", (client, error) => {
      log.debug("mqtt client error", { client: client?.id, error });
    });
    aedes.on("connectionError", (client, error) => {
      log.debug("mqtt connection error", { client: client?.id, error });
    });
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    this.#aedes = aedes;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.listen.port, this.#options.listen.hostname, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch(async (error) => {
      await this.#close();
      throw error;
    });
    const address = server.address();
    this.#port = typeof address === "object" && address ? address.port : this.#options.listen.port;
    log.info("embedded mqtt broker listening", { url: this.url });
    return this.#port;
  }

  /** Disconnects clients, closes the server and aedes. Idempotent; safe before start. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#close());
  }

  async #close(): Promise<void> {
    const server = this.#server;
    const aedes = this.#aedes;
    this.#server = undefined;
    this.#aedes = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      if (server.listening) await closed;
    }
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}
