// Catching up on missed messages, on a recording surface and the in-memory work queue: what was
// written while the bridge was down or disconnected becomes a task after a start or a reconnect,
// exactly once — whatever mix of live delivery, reconnects and restarts came before — within the
// catch-up's bounds; a channel that cannot be read is read again with backoff, unless another host
// holds the surface now (SurfaceLost): then it is left to that host's catch-up.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import { EventBus } from "../events/EventBus.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { recordingSurface } from "../testing/RecordingSurface.ts";
import type { CatchUpSettings } from "./catchUp.ts";
import type { InboundMessage, Surface } from "./Surface.ts";
import { type SurfaceBridge, startSurfaceBridge } from "./SurfaceBridge.ts";

/** A work queue that counts how often each task id was enqueued. */
class CountingQueue extends MemoryWorkQueue {
  readonly enqueued = new Map<string, number>();
  override async enqueue(item: Parameters<MemoryWorkQueue["enqueue"]>[0]) {
    this.enqueued.set(item.id, (this.enqueued.get(item.id) ?? 0) + 1);
    return super.enqueue(item);
  }
}

const bridges = new Set<SurfaceBridge>();
afterEach(async () => {
  for (const bridge of bridges) await bridge.stop(AbortSignal.abort());
  bridges.clear();
});

/** A bridge on #general (no worker: tasks stay queued), its cursors in `store`. */
const bridgeOn = (
  surface: Surface,
  queue: MemoryWorkQueue,
  store: MemorySnapshotStore,
  catchUp?: CatchUpSettings,
) => {
  const bridge = startSurfaceBridge({
    surface,
    bus: new EventBus(),
    queue,
    channels: new Map([["general", null]]),
    agents: () => [],
    reactions: { intervalMs: 0 },
    userRate: { tasks: 1_000, perMs: 60_000 },
    store,
    ...(catchUp ? { catchUp } : {}),
  });
  bridges.add(bridge);
  return bridge;
};

const stop = async (bridge: SurfaceBridge) => {
  await bridge.stop(AbortSignal.abort());
  bridges.delete(bridge);
};

/** Each message's task as `<message id>:<queue status>` ("none" when it started none). */
const queuedTexts = async (queue: MemoryWorkQueue, ids: readonly string[]) =>
  Promise.all(ids.map(async (id) => (await queue.record(`t-${id}`))?.status)).then((statuses) =>
    statuses.map((status, index) => `${ids[index]}:${status ?? "none"}`),
  );

describe("catching up on missed messages", () => {
  it("takes what was written while the host was down after the next start, and nothing twice", async () => {
    const fake = recordingSurface();
    const queue = new CountingQueue();
    const store = new MemorySnapshotStore();
    const first = bridgeOn(fake.surface, queue, store);
    expect(await first.catchUp()).toMatchObject({ why: "start", channels: 1, read: 0 });
    const live = fake.say({ content: "while up" });
    await fake.until(() => fake.threads.length === 1);
    await stop(first);

    const missed = [fake.write({ content: "while down" }), fake.write({ content: "still down" })];
    fake.write({ content: "a bot's", fromBot: true });
    const second = bridgeOn(fake.surface, queue, store);
    await second.reconcile();
    expect(await second.catchUp()).toMatchObject({ read: 3, tasks: 2, alreadyTaken: 0, skipped: 0 });
    expect(fake.missedReads.at(-1)).toMatchObject({ channelId: "c1", after: live.id });
    expect(await queuedTexts(queue, [live.id, ...missed.map((message) => message.id)])).toEqual([
      `${live.id}:queued`,
      `${missed[0]!.id}:queued`,
      `${missed[1]!.id}:queued`,
    ]);
    expect([...queue.enqueued.values()]).toEqual([1, 1, 1]);
    expect(second.stats()).toMatchObject({ tasks: 2, caughtUp: 2, fromBots: 1 });

    // Nothing is left to read at the start after.
    await stop(second);
    const third = bridgeOn(fake.surface, queue, store);
    expect(await third.catchUp()).toMatchObject({ read: 0, tasks: 0 });
  });

  it("takes what was missed even when newer messages came live before the catch-up ran", async () => {
    const fake = recordingSurface();
    const queue = new CountingQueue();
    const store = new MemorySnapshotStore();
    const first = bridgeOn(fake.surface, queue, store);
    await first.catchUp();
    fake.say({ content: "before the restart" });
    await fake.until(() => fake.threads.length === 1);
    await stop(first);
    const missed = fake.write({ content: "while down" });
    const second = bridgeOn(fake.surface, queue, store);
    // Delivered live while the host was still reconciling: it must not hide the one missed before it.
    const after = fake.say({ content: "right after the start" });
    await expect.poll(() => queue.record(`t-${after.id}`)).toMatchObject({ status: "queued" });
    expect(await second.catchUp()).toMatchObject({ read: 2, tasks: 1, alreadyTaken: 1 });
    expect(await queue.record(`t-${missed.id}`)).toMatchObject({ status: "queued" });
    expect([...queue.enqueued.values()]).toEqual([1, 1, 1]);
  });

  it("after a new session, reads back what was missed and takes it", async () => {
    const fake = recordingSurface();
    const queue = new CountingQueue();
    const store = new MemorySnapshotStore();
    const bridge = bridgeOn(fake.surface, queue, store);
    await bridge.catchUp();
    const before = fake.say({ content: "before the drop" });
    // The channel's cursor, in the store, moves past it once its task is queued.
    await expect.poll(() => store.load("surface/cursor/c1")).toEqual({ channelId: "c1", after: before.id });
    const missed = fake.write({ content: "during the drop" });
    fake.reconnect("new");
    await fake.until(() => fake.threads.length === 2);
    expect(fake.missedReads.at(-1)).toMatchObject({ after: before.id });
    expect(fake.threads[1]!.on.messageId).toBe(missed.id);
    expect(bridge.stats()).toMatchObject({ tasks: 2, caughtUp: 1 });
  });

  it("keeps the newest messages within the window and the count, and says how many it left out", async () => {
    const fake = recordingSurface();
    const queue = new CountingQueue();
    const bridge = bridgeOn(fake.surface, queue, new MemorySnapshotStore(), {
      maxPerChannel: 2,
      windowMs: 60_000,
    });
    await bridge.catchUp();
    const stale = fake.write({ content: "long ago" }, Date.now() - 120_000);
    const [older, newer, newest] = ["one", "two", "three"].map((content) => fake.write({ content }));
    fake.reconnect("new");
    expect(await bridge.catchUp()).toMatchObject({ read: 2, tasks: 2, skipped: 1 });
    expect(await queuedTexts(queue, [stale.id, older!.id, newer!.id, newest!.id])).toEqual([
      `${stale.id}:none`,
      `${older!.id}:none`,
      `${newer!.id}:queued`,
      `${newest!.id}:queued`,
    ]);
  });

  it("reads a channel again with backoff while it cannot be read, then takes what it missed", async () => {
    const fake = recordingSurface();
    let failures = 2;
    const flaky: Surface = {
      ...fake.surface,
      messagesSince: async (channelId, options, signal) => {
        if (failures > 0) {
          failures -= 1;
          throw Object.assign(new Error("503 Service Unavailable"), { status: 503 });
        }
        return fake.surface.messagesSince(channelId, options, signal);
      },
    };
    const queue = new CountingQueue();
    const bridge = startSurfaceBridge({
      surface: flaky,
      bus: new EventBus(),
      queue,
      channels: new Map([["general", null]]),
      agents: () => [],
      store: new MemorySnapshotStore(),
      catchUp: { maxPerChannel: 100, windowMs: 60_000, retry: { baseMs: 10, maxMs: 20 } },
    });
    bridges.add(bridge);
    await bridge.catchUp(); // the first read of an unknown channel only sets its cursor
    const missed = fake.write({ content: "missed" });
    fake.reconnect("resumed");
    expect(await bridge.catchUp()).toMatchObject({ read: 1, tasks: 1 });
    expect(failures).toBe(0);
    expect(await queue.record(`t-${missed.id}`)).toMatchObject({ status: "queued" });
  });

  it("forgets a task thread that can no longer be read (deleted), with an info line, and reads it no more", async () => {
    const fake = recordingSurface();
    const gone: Surface = {
      ...fake.surface,
      messagesSince: async (channelId, options, signal) => {
        if (channelId === "th-gone") throw Object.assign(new Error("404 Unknown Channel"), { status: 404 });
        return fake.surface.messagesSince(channelId, options, signal);
      },
    };
    const store = new MemorySnapshotStore();
    const opening = { role: "user", name: "ana", content: "hi" };
    await store.save("surface/thread/th-gone", {
      threadId: "th-gone",
      channel: "general",
      opening,
      activeAt: Date.now(),
    });
    const logged: { level: string; msg: string }[] = [];
    const bridge = startSurfaceBridge({
      surface: gone,
      bus: new EventBus(),
      queue: new MemoryWorkQueue(),
      channels: new Map([["general", null]]),
      agents: () => [],
      store,
      logger: { log: (level, msg) => logged.push({ level, msg }) },
    });
    bridges.add(bridge);
    await bridge.reconcile();
    expect(await bridge.catchUp()).toMatchObject({ threads: 1, read: 0 });
    expect(logged.filter((line) => line.level !== "debug" && line.msg.includes("thread"))).toEqual([
      { level: "info", msg: "surface: a task thread can no longer be read; it is not read back again" },
    ]);
    await expect.poll(() => store.load("surface/thread/th-gone")).toBeUndefined();
    expect(await bridge.catchUp()).toMatchObject({ threads: 0 });
  });

  it("leaves what it missed to the host that holds the surface now (SurfaceLost): no retry, no cursor move", async () => {
    const fake = recordingSurface();
    let reads = 0;
    let holding = true;
    const fenced: Surface = {
      ...fake.surface,
      messagesSince: async (channelId, options, signal) => {
        reads += 1;
        if (!holding) throw new TroupeError("SurfaceLost", "another host holds the surface");
        return fake.surface.messagesSince(channelId, options, signal);
      },
    };
    const queue = new CountingQueue();
    const store = new MemorySnapshotStore();
    const logged: string[] = [];
    const catchUp = { maxPerChannel: 100, windowMs: 60_000, retry: { baseMs: 10, maxMs: 20 } };
    const lost = startSurfaceBridge({
      surface: fenced,
      bus: new EventBus(),
      queue,
      channels: new Map([["general", null]]),
      agents: () => [],
      store,
      catchUp,
      logger: { log: (level, msg) => logged.push(`${level} ${msg}`) },
    });
    bridges.add(lost);
    await lost.catchUp(); // the first read of an unknown channel only sets its cursor
    const missed = fake.write({ content: "missed" });
    holding = false;
    expect(await lost.catchUp()).toMatchObject({ read: 0, tasks: 0 });
    expect(reads).toBe(1);
    expect(logged.filter((line) => line.startsWith("warn") || line.startsWith("error"))).toEqual([]);
    await stop(lost);

    // The next holder, on the same store, reads the channel from where it was and takes the message.
    const holder = bridgeOn(fake.surface, queue, store, catchUp);
    await holder.reconcile();
    expect(await holder.catchUp()).toMatchObject({ read: 1, tasks: 1 });
    expect(queue.enqueued.get(`t-${missed.id}`)).toBe(1);
  });

  it("takes every message exactly once, whatever mix of live delivery, drops and restarts came first", async () => {
    // While dropped, what people write is missed; a resume replays it, a new session or a restart does not.
    const step = fc.constantFrom("say", "say-bot", "drop", "new-session", "resumed", "restart");
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const fake = recordingSurface();
        const queue = new CountingQueue();
        const store = new MemorySnapshotStore();
        let bridge = bridgeOn(fake.surface, queue, store);
        await bridge.catchUp();
        const people: string[] = [];
        let missed: InboundMessage[] | undefined;
        for (const [index, kind] of steps.entries()) {
          const content = `message ${index}`;
          if (kind === "say" || kind === "say-bot") {
            const fromBot = kind === "say-bot";
            const message = missed ? fake.write({ content, fromBot }) : fake.say({ content, fromBot });
            missed?.push(message);
            if (!fromBot) people.push(message.id);
          } else if (kind === "drop") missed ??= [];
          else if (kind === "resumed") {
            for (const message of missed ?? []) fake.deliver(message);
            missed = undefined;
            fake.reconnect("resumed");
          } else if (kind === "new-session") {
            missed = undefined;
            fake.reconnect("new");
          } else {
            await stop(bridge);
            missed = undefined;
            bridge = bridgeOn(fake.surface, queue, store);
            await bridge.reconcile();
            void bridge.catchUp();
          }
        }
        // Connected again at the end, and its catch-up has read everything.
        fake.reconnect("new");
        await bridge.catchUp();
        await stop(bridge);
        const counts = people.map((id) => queue.enqueued.get(`t-${id}`) ?? 0);
        expect(counts).toEqual(people.map(() => 1));
      }),
      { numRuns: 100 },
    );
  });
});
