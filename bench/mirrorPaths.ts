// What both mirror benchmarks measure, set up once: the raw path (the mirror's own payloads published
// by plain ioredis to a plain PSUBSCRIBE subscriber) and the mirrored path (two buses, each with its
// Redis event mirror, as two hosts run them), on the shared Redis at 127.0.0.1:6379.
import { EventBus, type RuntimeEventInput } from "@troupe/runtime";
import { eventChannel, eventChannelPattern, mirrorEvents } from "@troupe/runtime/redis";
import { Redis } from "ioredis";

const REDIS_URL = "redis://127.0.0.1:6379";

/** The event sent the `index`th time. */
export const eventNumber = (index: number): RuntimeEventInput => ({
  type: "task.succeeded",
  taskId: `task-${index}`,
  agent: "echo",
  durationMs: index % 1_000,
});

/** A publisher, a subscriber on the namespace's events, and `count` of the mirror's payloads to send. */
export const openRawPubSub = async (namespace: string, count: number) => {
  const publisher = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  await subscriber.psubscribe(eventChannelPattern(namespace));
  return {
    publisher,
    subscriber,
    channel: eventChannel(namespace, "task.succeeded"),
    payloads: Array.from({ length: count }, (_, index) =>
      JSON.stringify({ origin: "bench-raw", event: { ...eventNumber(index), at: Date.now() } }),
    ),
    close: () => Promise.all([publisher.quit(), subscriber.quit()]),
  };
};

/** Two buses, each with its mirror, ready: what `sending` publishes arrives on `receiving`. */
export const openMirrorPair = async (namespace: string) => {
  const source = new Redis(REDIS_URL, { lazyConnect: true });
  const sending = new EventBus();
  const receiving = new EventBus();
  const sender = mirrorEvents({ bus: sending, redis: source, namespace, origin: "bench-sender" });
  const receiver = mirrorEvents({ bus: receiving, redis: source, namespace, origin: "bench-receiver" });
  await Promise.all([sender.ready(AbortSignal.timeout(5_000)), receiver.ready(AbortSignal.timeout(5_000))]);
  return {
    sending,
    receiving,
    sender,
    receiver,
    close: async () => {
      await Promise.all([sender.close(), receiver.close()]);
      source.disconnect();
    },
  };
};
