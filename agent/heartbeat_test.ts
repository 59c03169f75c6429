import { createLogger } from "@tributary/shared/log";
import { parseHeartbeat } from "@tributary/shared/heartbeat";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { VERSION } from "@tributary/shared/version";
import { HeartbeatSender } from "./heartbeat.ts";

const log = createLogger({ sink: () => {} });
const streams = {
  readings: { backlog_rows: 3, backlog_bytes: 99, oldest_unsent_age_s: 1.5, dropped: { x: 1 } },
};

Deno.test("HeartbeatSender beat publishes a parseable heartbeat with version and uptime", async () => {
  const sent: Uint8Array[] = [];
  const sender = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 5,
    snapshot: () => Promise.resolve(streams),
    publish: (p) => (sent.push(p), true),
    log,
    startedAtMs: Date.now() - 2000,
  });
  assertEquals(await sender.beat(), true);
  const hb = parseHeartbeat(sent[0]!);
  assertEquals([hb.agent, hb.version, hb.streams], ["edge-1", VERSION, streams]);
  assert(hb.uptimeS >= 2 && hb.uptimeS < 10, `uptime ${hb.uptimeS}`);
  assertEquals(sender.sent, 1);
});

Deno.test("HeartbeatSender beat skips, without throwing, when disconnected or the snapshot fails", async () => {
  const offline = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 5,
    snapshot: () => Promise.resolve(streams),
    publish: () => false,
    log,
  });
  assertEquals(await offline.beat(), false);
  const broken = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 5,
    snapshot: () => Promise.reject(new Error("buffer closed")),
    publish: () => true,
    log,
  });
  assertEquals(await broken.beat(), false);
  assertEquals(broken.sent, 0);
});

Deno.test("HeartbeatSender start sends at once and every interval; stop ends it; 0 sends none", async () => {
  let count = 0;
  const sender = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 1,
    snapshot: () => Promise.resolve(streams),
    publish: () => (count++, true),
    log,
  });
  await sender.stop(); // safe before start
  const running = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 1,
    snapshot: () => Promise.resolve(streams),
    publish: () => (count++, true),
    log,
  });
  running.start();
  running.start();
  await new Promise((r) => setTimeout(r, 1300));
  await running.stop();
  await running.stop();
  assertEquals(count, 2);
  const off = new HeartbeatSender({
    agent: "edge-1",
    intervalS: 0,
    snapshot: () => Promise.resolve(streams),
    publish: () => (count++, true),
    log,
  });
  off.start();
  await off.stop();
  assertEquals(count, 2);
});
