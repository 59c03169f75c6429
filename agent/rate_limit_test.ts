import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "@tributary/shared/testing/asserts";
import { TokenBucket } from "./rate_limit.ts";

/** A bucket on a fake clock the test moves by hand. */
function fakeBucket(bytesPerSec: number, burstBytes?: number) {
  const clock = { ms: 1000 };
  const bucket = new TokenBucket({ bytesPerSec, burstBytes, now: () => clock.ms });
  return { clock, bucket };
}

/**
 * Sends `sizes` back to back, as fast as the bucket allows, and returns each
 * message's leave time (fake ms from the first).
 */
function schedule(bucket: TokenBucket, clock: { ms: number }, sizes: number[]): number[] {
  const start = clock.ms;
  return sizes.map((n) => {
    clock.ms += bucket.reserve(n);
    return clock.ms - start;
  });
}

Deno.test("TokenBucket lets a burst of burstBytes leave at once, then paces at bytesPerSec", () => {
  const { clock, bucket } = fakeBucket(1000, 250);
  // 250 bytes leave at once (full bucket); each further 100 bytes waits 100 ms.
  assertEquals(schedule(bucket, clock, [100, 100, 50, 100, 100, 100]), [0, 0, 0, 100, 200, 300]);
  assertEquals(bucket.tokens(), 0);
});

Deno.test("TokenBucket defaults its burst to a quarter second of rate", () => {
  assertEquals(new TokenBucket({ bytesPerSec: 4000 }).burstBytes, 1000);
  assertEquals(new TokenBucket({ bytesPerSec: 2 }).burstBytes, 1);
});

Deno.test("TokenBucket refills while idle, never beyond the burst", () => {
  const { clock, bucket } = fakeBucket(1000, 250);
  assertEquals(bucket.reserve(250), 0);
  assertEquals(bucket.tokens(), 0);
  clock.ms += 100;
  assertEquals(bucket.tokens(), 100);
  clock.ms += 10_000;
  assertEquals(bucket.tokens(), 250);
  assertEquals(schedule(bucket, clock, [250, 250]), [0, 250]);
});

Deno.test("TokenBucket sends a message larger than the bucket when full, then waits out the debt", () => {
  const { bucket } = fakeBucket(1000, 250);
  // 1000 bytes: leaves at once (bucket full), leaving a debt of 750 bytes.
  assertEquals(bucket.reserve(1000), 0);
  assertEquals(bucket.tokens(), -750);
  // The next 1000 bytes waits until the bucket is full again: 1 s.
  assertEquals(bucket.reserve(1000), 1000);
  // And a small one after that waits behind it (first come, first served).
  assertEquals(bucket.reserve(10), 2000 - 240);
});

Deno.test("TokenBucket keeps every window within burst + rate × time, and the average at rate", () => {
  const { clock, bucket } = fakeBucket(10_000, 2_500);
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const sizes = Array.from({ length: 2000 }, () => 1 + Math.floor(random() * 2000));
  const times = schedule(bucket, clock, sizes);
  const largest = Math.max(...sizes);
  // Any window [times[i], times[j]]: bytes leaving <= max(burst, largest) + rate × span.
  for (let i = 0; i < sizes.length; i += 37) {
    let bytes = 0;
    for (let j = i; j < sizes.length; j++) {
      bytes += sizes[j]!;
      const spanS = (times[j]! - times[i]!) / 1000;
      assert(
        bytes <= Math.max(2_500, largest) + 10_000 * spanS + 1e-6,
        `window ${i}..${j}: ${bytes} bytes in ${spanS} s`,
      );
    }
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  const seconds = times.at(-1)! / 1000;
  // Everything but the first burst was paced: total <= burst + rate × elapsed, and not much less.
  assert(total <= 2_500 + 10_000 * seconds + 1e-6);
  assert(total >= 10_000 * seconds, `${total} bytes in ${seconds} s is below the rate`);
});

Deno.test("TokenBucket refuses a bad rate, burst or size, naming the value", () => {
  assertThrows(() => new TokenBucket({ bytesPerSec: 0 }), RangeError, "got 0");
  assertThrows(() => new TokenBucket({ bytesPerSec: Infinity }), RangeError, "bytesPerSec");
  assertThrows(() => new TokenBucket({ bytesPerSec: 10, burstBytes: -1 }), RangeError, "got -1");
  assertThrows(() => new TokenBucket({ bytesPerSec: 10 }).reserve(NaN), RangeError, "got NaN");
});

Deno.test("TokenBucket.take waits for the bucket and stops waiting on abort", async () => {
  const bucket = new TokenBucket({ bytesPerSec: 1000, burstBytes: 100 });
  await bucket.take(100); // at once: the bucket starts full
  const controller = new AbortController();
  const waiting = bucket.take(10_000, controller.signal); // would wait ~10 s
  controller.abort(new Error("stopped"));
  await assertRejects(() => waiting, Error, "stopped");
  await assertRejects(() => bucket.take(1, controller.signal), Error, "stopped");
});
