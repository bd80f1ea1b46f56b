// The Redis event mirror against real Redis: two buses standing for two processes see each other's
// events and nothing loops; junk on the channels is counted, logged and skipped; a Redis restart
// is survived with the subscription restored and the gap reported.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../../../test/harness/privateRedis.ts";
import type { RuntimeEvent, RuntimeEventInput } from "../events/catalogue.ts";
import { EventBus } from "../events/EventBus.ts";
import type { Logger, LogLevel } from "../log/Logger.ts";
import { createMirrorMetrics } from "../metrics/index.ts";
import { eventChannel, eventChannelPattern, mirrorEvents, type RedisEventMirror } from "./index.ts";

const SHARED_REDIS = "redis://127.0.0.1:6379";
const within = (ms = 5_000) => AbortSignal.timeout(ms);

const connections: Redis[] = [];
const mirrors: RedisEventMirror[] = [];

/** A caller's connection (lazy: the mirror only duplicates it), retrying fast after a restart. */
const connect = (url = SHARED_REDIS) => {
  const connection = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  connection.on("error", () => undefined);
  connections.push(connection);
  return connection;
};

const startMirror = (options: Omit<Parameters<typeof mirrorEvents>[0], "redis"> & { url?: string }) => {
  const mirror = mirrorEvents({ ...options, redis: connect(options.url) });
  mirrors.push(mirror);
  return mirror;
};

/** Every event the bus sees from now on. */
const record = (bus: EventBus) => {
  const seen: RuntimeEvent[] = [];
  bus.subscribe((event) => seen.push(event));
  return seen;
};

const capturingLogger = () => {
  const lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  const logger: Logger = { log: (level, message, fields = {}) => lines.push({ level, message, fields }) };
  return { logger, lines };
};

const namespace = () => `test-${randomUUID()}`;

afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((mirror) => mirror.close()));
  for (const connection of connections.splice(0)) connection.disconnect();
});

describe("RedisEventMirror between two processes", () => {
  it("delivers each event once, typed and validated, to the other bus; nothing echoes", async () => {
    const ns = namespace();
    const busA = new EventBus();
    const busB = new EventBus();
    const mirrorA = startMirror({ bus: busA, namespace: ns, origin: "process-a" });
    const mirrorB = startMirror({ bus: busB, namespace: ns, origin: "process-b" });
    await Promise.all([mirrorA.ready(within()), mirrorB.ready(within())]);
    const seenOnA = record(busA);
    const seenOnB = record(busB);
    const failures: string[] = [];
    busB.on("task.failed", (event) => failures.push(event.error.tag)); // typed by the catalogue

    const burst: RuntimeEventInput[] = [
      { type: "task.failed", taskId: "t-failed", agent: null, error: { tag: "Hung", reason: "silent" } },
      {
        type: "fanout.started",
        fanOutId: "f1",
        join: "all",
        branches: [
          { taskId: "b1", agent: "a" },
          { taskId: "b2", agent: "b" },
        ],
      },
      { type: "task.emitted", taskId: "t1", agent: "a", event: { type: "quote", price: 1.5, tags: ["x"] } },
    ];
    for (let index = 0; index < 200; index += 1) {
      burst.push({ type: "task.succeeded", taskId: `t${index}`, agent: "echo", durationMs: index });
    }
    const allArrived = busB.waitFor(() => seenOnB.length === burst.length, within());
    const published = burst.map((input) => busA.publish(input));
    await allArrived;
    expect(seenOnB).toEqual(published); // same fields, same `at`, same order
    expect(failures).toEqual(["Hung"]);

    // B's publisher is the one an echo would take, so once B's next event reaches A no echo is on its way.
    const sentinel = busA.waitFor((event) => event.type === "alert.resolved", within());
    busB.publish({ type: "alert.resolved", alertId: "sentinel", source: "process-b" });
    await sentinel;
    expect(seenOnA).toHaveLength(burst.length + 1); // its own burst once, then B's sentinel
    expect(seenOnB).toHaveLength(burst.length + 1); // A's burst once, then its own sentinel
    expect(mirrorA.stats()).toMatchObject({
      published: burst.length,
      received: 1,
      malformed: 0,
      dropped: 0,
      ownIgnored: 4, // one message per run of one type: failed, fan-out, emitted, then the 200 succeeded
    });
    expect(mirrorB.stats()).toMatchObject({ published: 1, received: burst.length, malformed: 0, dropped: 0 });
  });

  it("publishes { origin, event } on troupe:<namespace>:events:<type>", async () => {
    const ns = namespace();
    const watcher = connect();
    const messages: { channel: string; message: string }[] = [];
    watcher.on("pmessage", (_pattern: string, channel: string, message: string) =>
      messages.push({ channel, message }),
    );
    await watcher.psubscribe(eventChannelPattern(ns));
    const bus = new EventBus();
    const mirror = startMirror({ bus, namespace: ns, origin: "process-a" });
    await mirror.ready(within());

    const arrived = new Promise<void>((resolve) => watcher.once("pmessage", () => resolve()));
    const event = bus.publish({ type: "task.succeeded", taskId: "t1", agent: "echo", durationMs: 3 });
    await arrived;
    expect(messages).toEqual([
      { channel: `troupe:${ns}:events:task.succeeded`, message: expect.any(String) },
    ]);
    expect(JSON.parse(messages[0]!.message)).toEqual({ origin: "process-a", event });
  });

  it("sends a run of one type published in one turn as one { origin, events } message, in order", async () => {
    const ns = namespace();
    const watcher = connect();
    const messages: { channel: string; message: string }[] = [];
    watcher.on("pmessage", (_pattern: string, channel: string, message: string) =>
      messages.push({ channel, message }),
    );
    await watcher.psubscribe(eventChannelPattern(ns));
    const bus = new EventBus();
    const mirror = startMirror({ bus, namespace: ns, origin: "process-a" });
    await mirror.ready(within());

    const sent = [
      bus.publish({ type: "task.succeeded", taskId: "t1", agent: "echo", durationMs: 1 }),
      bus.publish({ type: "task.succeeded", taskId: "t2", agent: "echo", durationMs: 2 }),
      bus.publish({ type: "alert.resolved", alertId: "a1", source: "x" }),
      bus.publish({ type: "task.succeeded", taskId: "t3", agent: "echo", durationMs: 3 }),
    ];
    await vi.waitFor(() => expect(messages).toHaveLength(3), { timeout: 5_000 });
    expect(messages.map(({ channel, message }) => [channel, JSON.parse(message)])).toEqual([
      [`troupe:${ns}:events:task.succeeded`, { origin: "process-a", events: [sent[0], sent[1]] }],
      [`troupe:${ns}:events:alert.resolved`, { origin: "process-a", event: sent[2] }],
      [`troupe:${ns}:events:task.succeeded`, { origin: "process-a", event: sent[3] }],
    ]);
    expect(mirror.stats()).toMatchObject({ published: 4 });
  });

  it("delivers the valid events of a batch and counts each invalid one as malformed", async () => {
    const ns = namespace();
    const bus = new EventBus();
    const mirror = startMirror({ bus, namespace: ns, origin: "process-b" });
    await mirror.ready(within());
    const seen = record(bus);
    const good = (taskId: string) => ({
      type: "task.succeeded",
      at: 1,
      taskId,
      agent: "echo",
      durationMs: 1,
    });
    const raw = connect();
    const both = bus.waitFor((event) => event.type === "task.succeeded" && event.taskId === "t2", within());
    await raw.publish(
      eventChannel(ns, "task.succeeded"),
      JSON.stringify({
        origin: "redis-cli",
        events: [good("t1"), { type: "task.succeeded", taskId: 7 }, good("t2")],
      }),
    );
    await both;
    expect(seen.map((event) => (event as { taskId?: string }).taskId)).toEqual(["t1", "t2"]);
    expect(mirror.stats()).toMatchObject({ received: 2, malformed: 1 });
  });

  it("cuts a large text in an event with a marker, so no message nears Redis's output buffer limits", async () => {
    const ns = namespace();
    const busA = new EventBus();
    const busB = new EventBus();
    const mirrorA = startMirror({ bus: busA, namespace: ns, origin: "process-a" });
    const mirrorB = startMirror({ bus: busB, namespace: ns, origin: "process-b" });
    await Promise.all([mirrorA.ready(within()), mirrorB.ready(within())]);
    const seenOnB = record(busB);
    const arrived = busB.waitFor(() => seenOnB.length === 2, within());
    const reason = `my task ${"x".repeat(5_000_000)}`;
    busA.publish({
      type: "task.failed",
      taskId: "t-big",
      agent: "a",
      error: { tag: "AgentCrashed", reason },
    });
    const small = busA.publish({ type: "task.succeeded", taskId: "t-small", agent: "a", durationMs: 1 });
    await arrived;
    const [big] = seenOnB as [RuntimeEvent & { error: { reason: string } }];
    expect(big.error.reason.length).toBeLessThan(9_000);
    expect(big.error.reason).toMatch(
      /^my task x+… \[cut: \d+ more characters; the full text is in the task record\]$/,
    );
    expect(seenOnB[1]).toEqual(small);
  });

  it("counts, logs and skips malformed and unknown messages; the next good event still arrives", async () => {
    const ns = namespace();
    const bus = new EventBus();
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const mirror = startMirror({
      bus,
      namespace: ns,
      origin: "process-b",
      logger,
      metrics: createMirrorMetrics({ registry }),
    });
    await mirror.ready(within());
    const seen = record(bus);
    const raw = connect();
    const payload = (event: unknown) => JSON.stringify({ origin: "redis-cli", event });

    await raw.publish(eventChannel(ns, "task.succeeded"), "{not json");
    await raw.publish(eventChannel(ns, "task.exploded"), payload({ type: "task.exploded", at: 1 }));
    await raw.publish(
      eventChannel(ns, "task.succeeded"),
      payload({ type: "task.succeeded", at: 1, taskId: 7, agent: "echo", durationMs: 1 }),
    );
    await raw.publish(eventChannel(ns, "task.succeeded"), JSON.stringify(["origin", "event"]));
    await raw.publish(
      eventChannel(ns, "task.cancelled"),
      payload({ type: "alert.resolved", at: 1, alertId: "wrong-channel", source: "x" }),
    );
    await raw.publish(eventChannel(ns, "task.succeeded"), "x".repeat(100_000));
    const good = bus.waitFor((event) => event.type === "alert.resolved", within());
    await raw.publish(
      eventChannel(ns, "alert.resolved"),
      payload({ type: "alert.resolved", at: 5, alertId: "good", source: "redis-cli" }),
    );

    expect(await good).toEqual({ type: "alert.resolved", at: 5, alertId: "good", source: "redis-cli" });
    expect(seen).toHaveLength(1);
    expect(mirror.stats()).toMatchObject({ malformed: 6, received: 1 });
    const skipped = lines.filter((line) => line.message.includes("malformed"));
    expect(skipped).toHaveLength(6);
    for (const line of skipped) {
      expect(line.level).toBe("warn");
      expect(line.fields).toMatchObject({ namespace: ns, channel: expect.stringContaining(`troupe:${ns}:`) });
      expect(JSON.stringify(line).length).toBeLessThan(1_000); // short, even for a 100 kB message
    }
    expect(skipped[1]!.fields.reason).toMatch(/task\.exploded|type/);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`troupe_mirror_messages_total{namespace="${ns}",outcome="malformed"} 6`);
    expect(metrics).toContain(`troupe_mirror_messages_total{namespace="${ns}",outcome="received"} 1`);
  });

  it("close() leaves the bus and Redis, quits its own connections and keeps the caller's", async () => {
    const ns = namespace();
    const bus = new EventBus();
    const callers = connect();
    await callers.ping();
    const mirror = mirrorEvents({ bus, redis: callers, namespace: ns });
    await mirror.ready(within());
    await mirror.close();
    bus.publish({ type: "alert.resolved", alertId: "after-close", source: "test" });
    expect(mirror.stats().published).toBe(0);
    expect(mirror.connected).toBe(false);
    expect(await callers.ping()).toBe("PONG");
    await vi.waitFor(async () => expect(await callers.client("LIST")).not.toContain(ns), { timeout: 2_000 });
  });

  it("a watcher only listens and a reporter only publishes", async () => {
    const ns = namespace();
    const reporterBus = new EventBus();
    const watcherBus = new EventBus();
    const reporter = startMirror({ bus: reporterBus, namespace: ns, direction: "publish" });
    const watcher = startMirror({ bus: watcherBus, namespace: ns, direction: "subscribe" });
    await Promise.all([reporter.ready(within()), watcher.ready(within())]);
    const seenByReporter = record(reporterBus);

    watcherBus.publish({ type: "alert.resolved", alertId: "local-to-the-watcher", source: "watcher" });
    const arrived = watcherBus.waitFor((event) => event.type === "alert.raised", within());
    reporterBus.publish({
      type: "alert.raised",
      alertId: "a",
      severity: "info",
      source: "r",
      title: "t",
      text: "",
    });
    await arrived;
    expect(watcher.stats()).toMatchObject({ published: 0, received: 1 });
    expect(reporter.stats()).toMatchObject({ published: 1, received: 0, ownIgnored: 0 });
    expect(seenByReporter.map((event) => event.type)).toEqual(["alert.raised"]);
  });

  it("refuses a namespace that would break the channel pattern", () => {
    expect(() => mirrorEvents({ bus: new EventBus(), redis: connect(), namespace: "prod:*" })).toThrow(
      /namespace/,
    );
  });
});

describe("RedisEventMirror across a Redis restart", () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("resubscribes, reports the gap on the local bus and mirrors again; drops while down", async () => {
    const ns = namespace();
    const busA = new EventBus();
    const busB = new EventBus();
    const mirrorA = startMirror({ bus: busA, namespace: ns, origin: "process-a", url: server.url });
    const mirrorB = startMirror({ bus: busB, namespace: ns, origin: "process-b", url: server.url });
    await Promise.all([mirrorA.ready(within()), mirrorB.ready(within())]);
    const seenOnB = record(busB);

    const before = busB.waitFor((event) => event.type === "alert.raised", within());
    busA.publish({
      type: "alert.raised",
      alertId: "before",
      severity: "info",
      source: "a",
      title: "before",
      text: "",
    });
    await before;

    const gapOnA = busA.waitFor((event) => event.type === "mirror.gap", within(15_000));
    const gapOnB = busB.waitFor((event) => event.type === "mirror.gap", within(15_000));
    const downAt = Date.now();
    await server.restart({
      whileDown: async () => {
        await vi.waitFor(() => expect(mirrorA.connected).toBe(false), { timeout: 5_000 });
        for (let index = 0; index < 1_000; index += 1) {
          busA.publish({ type: "alert.resolved", alertId: `lost-${index}`, source: "a" });
        }
      },
    });
    const [gapA, gapB] = await Promise.all([gapOnA, gapOnB]);
    for (const gap of [gapA, gapB]) {
      expect(gap).toMatchObject({ type: "mirror.gap", namespace: ns });
      if (gap.type !== "mirror.gap") throw new Error("not a gap");
      expect(gap.downAt).toBeGreaterThanOrEqual(downAt);
      expect(gap.upAt).toBeGreaterThanOrEqual(gap.downAt);
    }
    expect(mirrorA.stats()).toMatchObject({ dropped: 1_000, gaps: 1 });

    // The subscriptions are back: events after the restart arrive, both ways.
    const afterOnB = busB.waitFor(
      (event) => event.type === "alert.raised" && event.alertId === "after",
      within(),
    );
    busA.publish({
      type: "alert.raised",
      alertId: "after",
      severity: "info",
      source: "a",
      title: "after",
      text: "",
    });
    await afterOnB;
    const afterOnA = busA.waitFor(
      (event) => event.type === "alert.resolved" && event.alertId === "b",
      within(),
    );
    busB.publish({ type: "alert.resolved", alertId: "b", source: "b" });
    await afterOnA;
    // Only "before" and "after" went out: not the events dropped while down (no offline queue
    // replays them), nor A's gap (reported on A's bus only).
    expect(mirrorA.stats().published).toBe(2);
    expect(mirrorB.stats().published).toBe(1);
    expect(seenOnB.filter((event) => event.type === "mirror.gap")).toHaveLength(1);
    expect(seenOnB.filter((event) => event.type === "alert.resolved")).toHaveLength(1); // its own "b"
  });
});
