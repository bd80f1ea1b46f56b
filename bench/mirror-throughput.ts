// mirror-throughput: events a second that go bus.publish → Redis event mirror → Redis → the mirror of
// a second bus (decoded, validated, delivered), compared with raw ioredis sending the very same
// payloads with pipelined PUBLISH to a raw PSUBSCRIBE subscriber that only counts them. Both sides
// send in chunks, yielding to the event loop between chunks, on the shared Redis at 127.0.0.1:6379.
// Both mirrors run as a host runs them (direction "both"), so the sending one also receives its own
// messages back and drops them (pub/sub has no "no local"); the raw path pays neither that nor JSON
// parsing, encoding or validation.
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { EventBus, type RuntimeEventInput } from "@troupe/runtime";
import { eventChannel, eventChannelPattern, mirrorEvents } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const EVENTS_PER_ROUND = 20_000;
const CHUNK = 500;
const ROUNDS = 7;

const eventNumber = (index: number): RuntimeEventInput => ({
  type: "task.succeeded",
  taskId: `task-${index}`,
  agent: "echo",
  durationMs: index % 1_000,
});

/** The baseline: the mirror's payloads, pipelined PUBLISH, counted by a raw subscriber. */
const rawPath = async (namespace: string) => {
  const publisher = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  let received = 0;
  let target = 0;
  let allReceived: (() => void) | undefined;
  subscriber.on("pmessage", () => {
    received += 1;
    if (received === target) allReceived?.();
  });
  await subscriber.psubscribe(eventChannelPattern(namespace));
  const channel = eventChannel(namespace, "task.succeeded");
  const payloads = Array.from({ length: EVENTS_PER_ROUND }, (_, index) =>
    JSON.stringify({ origin: "bench-raw", event: { ...eventNumber(index), at: Date.now() } }),
  );
  return {
    run: async () => {
      received = 0;
      target = EVENTS_PER_ROUND;
      const done = new Promise<void>((resolve) => {
        allReceived = resolve;
      });
      for (let start = 0; start < EVENTS_PER_ROUND; start += CHUNK) {
        const pipeline = publisher.pipeline();
        for (let index = start; index < start + CHUNK; index += 1)
          pipeline.publish(channel, payloads[index]!);
        void pipeline.exec();
        await nextTurn();
      }
      await done;
    },
    close: () => Promise.all([publisher.quit(), subscriber.quit()]),
  };
};

/** Troupe: two buses, each with its mirror (two processes' worth of connections). */
const mirroredPath = async (namespace: string) => {
  const source = new Redis(REDIS_URL, { lazyConnect: true });
  const sending = new EventBus();
  const receiving = new EventBus();
  const sender = mirrorEvents({ bus: sending, redis: source, namespace, origin: "bench-sender" });
  const receiver = mirrorEvents({ bus: receiving, redis: source, namespace, origin: "bench-receiver" });
  await Promise.all([sender.ready(AbortSignal.timeout(5_000)), receiver.ready(AbortSignal.timeout(5_000))]);
  let received = 0;
  let target = 0;
  let allReceived: (() => void) | undefined;
  receiving.subscribe(() => {
    received += 1;
    if (received === target) allReceived?.();
  });
  return {
    run: async () => {
      received = 0;
      target = EVENTS_PER_ROUND;
      const done = new Promise<void>((resolve) => {
        allReceived = resolve;
      });
      for (let start = 0; start < EVENTS_PER_ROUND; start += CHUNK) {
        for (let index = start; index < start + CHUNK; index += 1) sending.publish(eventNumber(index));
        await nextTurn();
      }
      await done;
      const dropped = sender.stats().dropped + receiver.stats().malformed;
      if (dropped > 0) throw new Error(`mirror-throughput: ${dropped} events dropped or malformed`);
    },
    close: async () => {
      await Promise.all([sender.close(), receiver.close()]);
      source.disconnect();
    },
  };
};

export const mirrorThroughput = async (): Promise<Figure> => {
  const namespace = `bench-${randomUUID()}`;
  const raw = await rawPath(`${namespace}-raw`);
  const mirrored = await mirroredPath(namespace);
  try {
    await raw.run();
    await mirrored.run();
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const rawPerSecond = EVENTS_PER_ROUND / ((await timeMs(raw.run)) / 1_000);
      const mirroredPerSecond = EVENTS_PER_ROUND / ((await timeMs(mirrored.run)) / 1_000);
      ratios.push(mirroredPerSecond / rawPerSecond);
      progress(
        `mirror-throughput round ${round}/${ROUNDS}: raw ${Math.round(rawPerSecond)}/s, mirrored ${Math.round(mirroredPerSecond)}/s`,
      );
    }
    return figure("mirror-throughput", median(ratios), { atLeast: 0.8 });
  } finally {
    await Promise.all([raw.close(), mirrored.close()]);
  }
};
