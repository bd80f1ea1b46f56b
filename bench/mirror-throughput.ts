// mirror-throughput: events a second that go bus.publish → Redis event mirror → Redis → the mirror of
// a second bus (decoded, validated, delivered), compared with raw ioredis sending the very same
// payloads with pipelined PUBLISH to a raw PSUBSCRIBE subscriber that only counts them. Both sides
// send in chunks, yielding to the event loop between chunks, on the shared Redis at 127.0.0.1:6379.
// Both mirrors run as a host runs them (direction "both"), so the sending one also receives its own
// messages back and drops them (pub/sub has no "no local"); the raw path pays neither that nor JSON
// parsing, encoding or validation. The mirror sends a run of one type's events published in one turn
// as one message (as it does in a host), the raw path one PUBLISH per payload: events a second is
// what both are measured by.
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { arrivals, type Figure, figure, median, progress, timeMs } from "./measure.ts";
import { eventNumber, openMirrorPair, openRawPubSub } from "./mirrorPaths.ts";

const EVENTS_PER_ROUND = 20_000;
const CHUNK = 500;
const ROUNDS = 7;

/** The baseline: the mirror's payloads, pipelined PUBLISH, counted by a raw subscriber. */
const rawPath = async (namespace: string) => {
  const { publisher, subscriber, channel, payloads, close } = await openRawPubSub(
    namespace,
    EVENTS_PER_ROUND,
  );
  const received = arrivals("mirror-throughput, raw path");
  subscriber.on("pmessage", received.arrived);
  return {
    run: async () => {
      received.reset();
      for (let start = 0; start < EVENTS_PER_ROUND; start += CHUNK) {
        const pipeline = publisher.pipeline();
        for (let index = start; index < start + CHUNK; index += 1)
          pipeline.publish(channel, payloads[index]!);
        void pipeline.exec();
        await nextTurn();
      }
      await received.waitFor(EVENTS_PER_ROUND);
    },
    close,
  };
};

/** Troupe: two buses, each with its mirror (two processes' worth of connections). */
const mirroredPath = async (namespace: string) => {
  const { sending, receiving, sender, receiver, close } = await openMirrorPair(namespace);
  const received = arrivals("mirror-throughput, mirrored path");
  receiving.subscribe(received.arrived);
  return {
    run: async () => {
      received.reset();
      for (let start = 0; start < EVENTS_PER_ROUND; start += CHUNK) {
        for (let index = start; index < start + CHUNK; index += 1) sending.publish(eventNumber(index));
        await nextTurn();
      }
      await received.waitFor(EVENTS_PER_ROUND);
      const dropped = sender.stats().dropped + receiver.stats().malformed;
      if (dropped > 0) throw new Error(`mirror-throughput: ${dropped} events dropped or malformed`);
    },
    close,
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
