/**
 * An aedes broker on a loopback port, for transport tests (not a mock: a real
 * MQTT 3.1.1 broker in-process).
 *
 * @module
 */
import Aedes from "aedes";
import { createServer, type Server } from "node:net";

/** Options of {@linkcode startTestBroker}. */
export interface TestBrokerOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** When false, publishes are never authorized, so no PUBACK is ever sent. @default true */
  ack?: boolean;
  /** Required credentials, if any. */
  credentials?: { username: string; password: string };
}

/** A running test broker. */
export interface TestBroker {
  readonly port: number;
  readonly url: string;
  /** Publishes received from clients, in order. */
  readonly received: { topic: string; payload: Uint8Array; qos: number }[];
  close(): Promise<void>;
}

/** Starts an aedes broker on 127.0.0.1. */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const received: TestBroker["received"] = [];
  const ack = options.ack ?? true;
  aedes.authorizePublish = (_client, packet, callback) => {
    if (ack) callback(null);
    // Without calling back, aedes never forwards nor acknowledges the message.
    else {received.push({
        topic: packet.topic,
        payload: new Uint8Array(packet.payload as Uint8Array),
        qos: packet.qos,
      });}
  };
  if (options.credentials) {
    const { username, password } = options.credentials;
    aedes.authenticate = (_client, user, pass, callback) => {
      const ok = user === username && pass !== undefined &&
        new TextDecoder().decode(pass) === password;
      callback(null, ok);
    };
  }
  aedes.on("publish", (packet, client) => {
    if (client) {
      received.push({
        topic: packet.topic,
        payload: new Uint8Array(packet.payload as Uint8Array),
        qos: packet.qos,
      });
    }
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    received,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `condition` every 10 ms until it holds; throws after `ms`. */
export async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
