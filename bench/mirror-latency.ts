// mirror-latency: what the Redis event mirror adds to pub→sub latency. One message at a time (the
// next is sent when the previous has arrived), timed from send to receipt in the same process:
// raw ioredis PUBLISH of the mirror's payload to a raw PSUBSCRIBE subscriber, against bus.publish →
// mirror → Redis → the mirror of a second bus → its listener. The figure is a difference, not a
// ratio: p99(mirror) − p99(raw), in milliseconds, on the shared Redis at 127.0.0.1:6379.
import { randomUUID } from "node:crypto";
import { arrivals, type Figure, percentile, progress } from "./measure.ts";
import { eventNumber, openMirrorPair, openRawPubSub } from "./mirrorPaths.ts";

const MESSAGES_PER_BLOCK = 250;
const BLOCKS = 8;
const WARM_UP_MESSAGES = 500;
const GOAL_MS = 1;

/** A Figure whose value is a difference in `unit`, not a ratio. */
export interface DifferenceFigure extends Figure {
  readonly unit: "ms";
}

/** Send `count` messages one after the other with `send`; `arrived` is called by the receiving side. */
const pingPong = (what: string) => {
  let sentAt = 0;
  const received = arrivals(what);
  const latencies: number[] = [];
  return {
    latencies,
    arrived: () => {
      latencies.push(performance.now() - sentAt);
      received.arrived();
    },
    run: async (count: number, send: (index: number) => void) => {
      received.reset();
      for (let index = 0; index < count; index += 1) {
        sentAt = performance.now();
        send(index);
        await received.waitFor(index + 1);
      }
    },
  };
};

const rawPath = async (namespace: string) => {
  const raw = await openRawPubSub(namespace, Math.max(MESSAGES_PER_BLOCK, WARM_UP_MESSAGES));
  const timing = pingPong("mirror-latency, raw path");
  raw.subscriber.on("pmessage", timing.arrived);
  return {
    latencies: timing.latencies,
    run: (count: number) =>
      timing.run(count, (index) => void raw.publisher.publish(raw.channel, raw.payloads[index]!)),
    close: raw.close,
  };
};

const mirroredPath = async (namespace: string) => {
  const pair = await openMirrorPair(namespace);
  const timing = pingPong("mirror-latency, mirrored path");
  pair.receiving.subscribe(timing.arrived);
  return {
    latencies: timing.latencies,
    run: (count: number) => timing.run(count, (index) => void pair.sending.publish(eventNumber(index))),
    close: pair.close,
  };
};

export const mirrorLatency = async (): Promise<DifferenceFigure> => {
  const namespace = `bench-${randomUUID()}`;
  const raw = await rawPath(`${namespace}-raw`);
  const mirrored = await mirroredPath(namespace);
  try {
    await raw.run(WARM_UP_MESSAGES);
    await mirrored.run(WARM_UP_MESSAGES);
    raw.latencies.length = 0;
    mirrored.latencies.length = 0;
    // Alternate blocks, so a busy moment of the machine lands on both paths alike.
    for (let block = 1; block <= BLOCKS; block += 1) {
      await raw.run(MESSAGES_PER_BLOCK);
      await mirrored.run(MESSAGES_PER_BLOCK);
    }
    const rawP99 = percentile(raw.latencies, 0.99);
    const mirroredP99 = percentile(mirrored.latencies, 0.99);
    progress(
      `mirror-latency over ${raw.latencies.length} messages each: raw p50 ${percentile(raw.latencies, 0.5).toFixed(3)} ms, p99 ${rawP99.toFixed(3)} ms; mirrored p50 ${percentile(mirrored.latencies, 0.5).toFixed(3)} ms, p99 ${mirroredP99.toFixed(3)} ms`,
    );
    const added = mirroredP99 - rawP99;
    return {
      name: "mirror-latency-p99-added",
      ratio: added,
      goal: `≤ ${GOAL_MS} ms`,
      met: added <= GOAL_MS,
      unit: "ms",
    };
  } finally {
    await Promise.all([raw.close(), mirrored.close()]);
  }
};
