/**
 * The one transport conformance suite: every transport (MQTT via Mosquitto,
 * Kafka via a KRaft broker) runs the same steps against a real broker and the
 * hub's real consumer for that transport, feeding a real DuckDB hot store:
 *
 * - broker down at start: the transport starts anyway, refuses sends
 *   retryably, connects once the broker is up and delivers;
 * - ordering per stream: batches sent with several in flight reach the hub
 *   in sequence order;
 * - ack handling: a re-sent batch is acknowledged (duplicate) and stored
 *   once; a batch the hub rejects fails with `BatchRejectedError`;
 * - oversized batch: refused at once as a permanent `too_large`;
 * - retry: with the hub away a send fails retryably (no ack), and the same
 *   batch sent again once the hub is back is stored once;
 * - broker restarted (SIGKILL) mid-stream: every batch is delivered, each
 *   stored once.
 *
 * @example
 * ```ts
 * defineTransportConformance(mqttTarget);
 * ```
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import type { Batch } from "@tributary/shared/records";
import { encodeBatch } from "@tributary/shared/wire";
import {
  BatchRejectedError,
  type OutgoingBatch,
  type Transport,
} from "../../agent/transports/transport.ts";
import { BatchHandler, type BatchSink } from "../../hub/consumers/batch_handler.ts";
import type { Consumer, ConsumerContext } from "../../hub/consumers/consumer.ts";
import { createHubMetrics } from "../../hub/metrics.ts";
import { HotStore } from "../../hub/store/hot_store.ts";
import { makeBatch, seqRange } from "../../hub/testing/batches.ts";
import { getFreePort } from "../harness/free_port.ts";
import { waitFor } from "../harness/wait_for.ts";

/** A broker a target started; keeps its port across restarts. */
export interface ConformanceBroker {
  restart(options: { signal: "SIGKILL"; downMs: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Options every target's transport must honour. */
export interface ConformanceTransportOptions {
  /** Hub ack wait after the broker's acknowledgement, in ms. */
  ackTimeoutMs: number;
  /** Largest message, in bytes. */
  maxMessageBytes: number;
}

/** One transport under test, with its broker and its hub-side consumer. */
export interface ConformanceTarget {
  name: string;
  /** Starts the broker on 127.0.0.1:`port`. */
  startBroker(port: number): Promise<ConformanceBroker>;
  /** The agent's transport for `agent` (not started), pointed at the broker on `port`. */
  createTransport(port: number, agent: string, options: ConformanceTransportOptions): Transport;
  /** The hub's consumer (not started) for the broker on `port`. */
  createConsumer(port: number, context: ConsumerContext): Consumer;
  /** Longest time the suite waits for a connection or a takeover, in ms. @default 30_000 */
  settleMs?: number;
}

const log = createLogger({ sink: () => {} });

function outgoing(batch: Batch): OutgoingBatch {
  return {
    agent: batch.agent,
    stream: batch.stream,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    rowCount: batch.rowCount,
    bytes: encodeBatch(batch),
  };
}

function readings(agent: string, first: bigint, last: bigint): OutgoingBatch {
  return outgoing(makeBatch("readings", { agent, seqs: seqRange(first, last) }));
}

/** Sends until the transport confirms, retrying retryable failures (as the shipper does). */
async function sendUntilConfirmed(
  transport: Transport,
  message: OutgoingBatch,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1;; attempt++) {
    try {
      await transport.send(message);
      return attempt;
    } catch (error) {
      if (!(error instanceof RetryableError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Registers the conformance test of `target` (one Deno test, one step per property). */
export function defineTransportConformance(target: ConformanceTarget): void {
  Deno.test(`transport conformance: ${target.name}`, async (t) => {
    const settleMs = target.settleMs ?? 30_000;
    const port = getFreePort();
    const store = await HotStore.open({ path: ":memory:" });
    const metrics = createHubMetrics({ defaultMetrics: false });
    /** (agent, stream, first_seq) in the order the hub ingested them. */
    const ingested: string[] = [];
    const sink: BatchSink = {
      ingest: (batch, bytes) => {
        ingested.push(`${batch.agent}/${batch.stream}/${batch.firstSeq}`);
        return store.ingest(batch, bytes);
      },
      quarantine: (entry) => store.quarantine(entry),
    };
    const handler = new BatchHandler({ store: sink, metrics, log });
    const rows = async (agent: string) => {
      const connection = await store.connect();
      try {
        const result = await connection.runAndReadAll(
          `SELECT count(*) FROM readings WHERE agent = '${agent}'`,
        );
        return Number(result.getRows()[0]![0]);
      } finally {
        connection.closeSync();
      }
    };
    const options = { ackTimeoutMs: 5_000, maxMessageBytes: 200_000 };
    let broker: ConformanceBroker | undefined;
    let consumer: Consumer | undefined;
    const transports: Transport[] = [];
    const transport = (agent: string, overrides: Partial<ConformanceTransportOptions> = {}) => {
      const created = target.createTransport(port, agent, { ...options, ...overrides });
      transports.push(created);
      return created;
    };
    try {
      const main = transport("conf-main");
      await t.step(
        "broker down at start: starts, refuses retryably, then connects and delivers",
        async () => {
          await main.start();
          assertEquals(main.connected, false);
          await assertRejects(() => main.send(readings("conf-main", 1n, 10n)), RetryableError);
          broker = await target.startBroker(port);
          consumer = target.createConsumer(port, { handler, metrics, log });
          await consumer.start();
          await waitFor(() => main.connected, { timeoutMs: settleMs, message: "connected" });
          await sendUntilConfirmed(main, readings("conf-main", 1n, 10n), settleMs);
          assertEquals(await rows("conf-main"), 10);
        },
      );

      await t.step("ordering per stream: batches in flight together arrive in order", async () => {
        const agent = "conf-order";
        const sender = transport(agent);
        await sender.start();
        await waitFor(() => sender.connected, { timeoutMs: settleMs, message: "connected" });
        const sends: Promise<void>[] = [];
        for (let i = 0n; i < 20n; i++) {
          sends.push(sender.send(readings(agent, i * 10n + 1n, i * 10n + 10n)));
          if (sends.length % 4 === 0) await Promise.all(sends.slice(-4)); // 4 in flight
        }
        await Promise.all(sends);
        const order = ingested.filter((key) => key.startsWith(`${agent}/`))
          .map((key) => Number(key.split("/")[2]));
        assertEquals(order, Array.from({ length: 20 }, (_, i) => i * 10 + 1));
        assertEquals(await rows(agent), 200);
      });

      await t.step(
        "ack handling: a re-send is acknowledged and stored once; a rejection fails for good",
        async () => {
          const again = readings("conf-main", 1n, 10n);
          await main.send(again); // stored before: the hub acks it as a duplicate
          assertEquals(await rows("conf-main"), 10);
          const bad = makeBatch("readings", { agent: "conf-main", seqs: [11n] });
          bad.columns.tags = ["{not json"];
          const error = await assertRejects(() => main.send(outgoing(bad)), BatchRejectedError);
          assertEquals(error.reason, "schema_mismatch");
        },
      );

      await t.step("oversized batch: refused at once as permanent too_large", async () => {
        const big = { ...readings("conf-main", 12n, 12n), bytes: new Uint8Array(300_000) };
        const error = await assertRejects(() => main.send(big), PermanentError);
        assertEquals(error.reason, "too_large");
      });

      await t.step(
        "retry: without the hub a send times out retryably; resent later, stored once",
        async () => {
          const agent = "conf-retry";
          const sender = transport(agent, { ackTimeoutMs: 1_500 });
          await sender.start();
          await waitFor(() => sender.connected, { timeoutMs: settleMs, message: "connected" });
          await consumer!.stop();
          const batch = readings(agent, 1n, 50n);
          const error = await assertRejects(() => sender.send(batch), RetryableError);
          assertEquals(error.reason, "ack_timeout");
          consumer = target.createConsumer(port, { handler, metrics, log });
          await consumer.start();
          const attempts = await sendUntilConfirmed(sender, batch, settleMs);
          // The broker kept the first copy for the returning hub; both copies are one batch.
          await waitFor(async () => await rows(agent) === 50, { timeoutMs: settleMs });
          await new Promise((resolve) => setTimeout(resolve, 500));
          assertEquals(await rows(agent), 50, `stored once after ${attempts} attempt(s)`);
        },
      );

      await t.step(
        "broker restarted mid-stream (SIGKILL): every batch delivered, stored once",
        async () => {
          const agent = "conf-restart";
          const sender = transport(agent);
          await sender.start();
          await waitFor(() => sender.connected, { timeoutMs: settleMs, message: "connected" });
          let sent = 0;
          const stream = (async () => {
            for (let i = 0n; i < 30n; i++) {
              await sendUntilConfirmed(
                sender,
                readings(agent, i * 20n + 1n, i * 20n + 20n),
                settleMs * 2,
              );
              sent++;
            }
          })();
          await waitFor(() => sent >= 5, {
            timeoutMs: settleMs,
            message: "5 batches before the crash",
          });
          await broker!.restart({ signal: "SIGKILL", downMs: 500 });
          await stream;
          await waitFor(async () => await rows(agent) === 600, {
            timeoutMs: settleMs,
            message: "600 rows",
          });
          await new Promise((resolve) => setTimeout(resolve, 500));
          assertEquals(await rows(agent), 600);
          assert(sent === 30);
        },
      );
    } finally {
      for (const each of transports) await each.stop();
      await consumer?.stop();
      await broker?.stop();
      await store.close();
    }
  });
}
