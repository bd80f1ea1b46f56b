// The bridge on a recording surface, a real team and the in-memory work queue: a message becomes a
// task with a thread, one status reaction at a time, and the result in the thread under the agent's
// name; bots and duplicates start nothing; privacy mode posts metadata only; mentions stay off.
// With a store, its open tasks are remembered and reconciled after a restart; a reply the surface
// dropped because another host holds it now stays unposted in the ledger, for that host to post.
import { afterEach, describe, expect, it } from "vitest";
import { type AnyAgentDefinition, defineAgent } from "../agent/defineAgent.ts";
import { startWorker, type Worker } from "../durable/DurableWorker.ts";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import { EventBus } from "../events/EventBus.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { flush } from "../testing/index.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { recordingSurface } from "../testing/RecordingSurface.ts";
import type { InboundMessage } from "./Surface.ts";
import { type SurfaceBridge, startSurfaceBridge } from "./SurfaceBridge.ts";
import type { SurfaceTaskEntry } from "./SurfaceTaskLedger.ts";
import { statusSymbolSet } from "./statusSymbols.ts";

/** A recording surface where a person says "hello" in #general unless told otherwise. */
const bridgeSurface = () => {
  const recording = recordingSurface();
  return {
    ...recording,
    say: (fields: Partial<InboundMessage>) => recording.say({ content: "hello", ...fields }),
  };
};

const shouter = defineAgent({
  name: "shouter",
  handle: (task) => ({ text: `${task.text.toUpperCase()} @everyone` }),
});

let team: Team | undefined;
let worker: Worker | undefined;
let bridge: SurfaceBridge | undefined;
afterEach(async () => {
  await bridge?.stop(AbortSignal.timeout(2_000));
  await worker?.stop();
  team?.stop();
});

/** Its model is down: every attempt fails with a transient error. */
const modelDown = defineAgent({
  name: "model-down",
  handle: () => {
    throw new TroupeError("ModelUnavailable", "Ollama is not running");
  },
});

const start = (
  options: {
    privacy?: boolean;
    agent?: AnyAgentDefinition;
    userRate?: { tasks: number; perMs: number };
    /** The bridge's view of the bus: what it may miss. */
    lossyBus?: (bus: EventBus) => EventBus;
    recheckMs?: number;
    taskChannel?: boolean;
  } = {},
) => {
  const fake = bridgeSurface();
  const { agent = shouter, lossyBus, ...bridgeOptions } = options;
  team = createSupervisor({ agents: [agent], fallback: agent.name });
  const queue = new MemoryWorkQueue();
  worker = startWorker({
    team,
    queue,
    consumer: "test",
    pollWait: "20ms",
    maxAttempts: 3,
    backoff: { base: "5ms" },
  });
  bridge = startSurfaceBridge({
    surface: fake.surface,
    bus: lossyBus ? lossyBus(team.bus) : team.bus,
    queue,
    channels: new Map([["general", null]]),
    agents: () => ["shouter"],
    reactions: { intervalMs: 0 },
    ...bridgeOptions,
  });
  return fake;
};

describe("startSurfaceBridge", () => {
  it("refuses a message over the task size limit in its thread, and the next message runs", async () => {
    const fake = start();
    fake.say({ id: "m1", content: "z".repeat(1_100_000) });
    fake.say({ id: "m2", content: "small" });
    await fake.until(
      () => fake.reactions.get("m2")?.has("✅") === true && fake.reactions.get("m1")?.has("❌") === true,
    );
    await bridge!.idle();
    expect(fake.posts.map(({ post }) => post.content)).toContain(
      "❌ not queued: invalid task: the task is 1100000 bytes, over the limit of 1048576 bytes (TROUPE_MAX_TASK_BYTES)",
    );
    expect(fake.posts.some(({ post }) => post.content === "SMALL @everyone")).toBe(true);
  });

  it("answers a person over the per-user limit with a reaction, and tells only them once per window", async () => {
    const fake = start({ userRate: { tasks: 1, perMs: 60_000 } });
    for (const id of ["m1", "m2", "m3", "m4"]) fake.say({ id, authorId: "u-ann" });
    fake.say({ id: "m5", authorId: "u-bob" });
    await fake.until(
      () => ["m1", "m5"].every((id) => fake.reactions.get(id)?.has("✅")) && fake.posts.length >= 3,
    );
    await bridge!.idle();
    for (const id of ["m2", "m3", "m4"]) expect([...fake.reactions.get(id)!]).toEqual(["⏳"]);
    const told = fake.posts.filter(({ post }) => post.content.includes("too many tasks"));
    expect(told).toHaveLength(1);
    expect(told[0]!.post).toMatchObject({
      content: expect.stringMatching(/^<@u-ann> too many tasks from you just now: try again in /),
      mentions: { users: ["u-ann"] },
    });
    expect(bridge!.stats()).toMatchObject({ rateLimited: 3, tasks: 2 });
  });

  it("turns a message into a task with a thread, one reaction at a time, and the reply by the agent", async () => {
    const fake = start();
    fake.say({ content: "hello there" });
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge!.idle();
    expect(fake.threads).toEqual([{ on: { channelId: "c1", messageId: "m1" }, name: "hello there" }]);
    expect(fake.posts[0]).toMatchObject({
      channelId: "thread-m1",
      post: { content: "HELLO THERE @everyone", identity: { name: "shouter" } },
    });
    expect(fake.posts[0]!.post.mentions).toBeUndefined(); // nobody may be pinged
    expect(fake.reactionLog[0]).toBe("m1 📥");
    expect(fake.reactionLog.at(-1)).toBe("m1 ✅");
    const statusShown = fake.reactionStates.map(({ shown }) =>
      shown.filter((emoji) => statusSymbolSet.has(emoji)),
    );
    expect(Math.max(...statusShown.map((shown) => shown.length))).toBe(1);
    expect([...fake.reactions.get("m1")!]).toEqual(["✅"]);
  });

  it("shows 🔁 with the attempt and the reason between attempts, and ❌ once, when the task is over", async () => {
    const fake = start({ agent: modelDown });
    fake.say({ content: "what is new?" });
    await fake.until(() => fake.reactions.get("m1")?.has("❌") === true && fake.posts.length === 3);
    await bridge!.idle();
    expect(fake.posts.map(({ post }) => post.content)).toEqual([
      "🔁 retrying (attempt 2): Ollama is not running",
      "🔁 retrying (attempt 3): Ollama is not running",
      "❌ failed: Ollama is not running",
    ]);
    const shown = fake.reactionLog.filter((entry) => entry.startsWith("m1 ")).map((entry) => entry.slice(3));
    expect(shown.filter((emoji) => emoji === "🔁")).toHaveLength(2);
    expect(shown.indexOf("❌")).toBe(shown.length - 1);
  });

  it("posts the reply and ✅ though the queue's task.recorded never reached it (pub/sub is at-most-once)", async () => {
    const fake = start({
      recheckMs: 20,
      lossyBus: (bus) => {
        const lossy = new EventBus();
        bus.subscribe((event) => {
          if (event.type !== "task.recorded") lossy.publish(event);
        });
        return lossy;
      },
    });
    fake.say({ content: "are you there?" });
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge!.idle();
    expect(fake.posts[0]!.post.content).toBe("ARE YOU THERE? @everyone");
  });

  it("starts nothing for bots and for a message delivered twice", async () => {
    const fake = start();
    fake.say({ id: "b1", fromBot: true });
    fake.say({ id: "m2" });
    fake.say({ id: "m2" });
    await fake.until(() => fake.posts.length === 1);
    await bridge!.idle();
    expect(fake.threads).toHaveLength(1);
    expect(bridge!.stats()).toMatchObject({ received: 3, duplicates: 1, fromBots: 1, tasks: 1 });
  });

  it("posts metadata only in privacy mode", async () => {
    const fake = start({ privacy: true });
    fake.say({ content: "my secret plan" });
    await fake.until(() => fake.posts.length === 1);
    expect(fake.threads[0]!.name).toMatch(/^task t-/);
    const content = fake.posts[0]!.post.content;
    expect(content).toMatch(/^✅ done · task t-\w+ · shouter · reply of 24 characters kept local$/);
    expect(content).not.toContain("SECRET");
  });
});

describe("the bridge's tasks", () => {
  /** Says which channel its task carries. */
  const where = defineAgent({
    name: "where",
    handle: (task) => ({ text: `channel ${task.channel ?? "none"}` }),
  });

  it("carry their channel, or none with taskChannel false (the console: each line remembered on its own)", async () => {
    const withChannel = start({ agent: where });
    withChannel.say({ id: "m1" });
    await withChannel.until(() => withChannel.reactions.get("m1")?.has("✅") === true);
    expect(withChannel.posts.map(({ post }) => post.content)).toContain("channel general");
    await bridge?.stop(AbortSignal.timeout(2_000));
    await worker?.stop();
    team?.stop();

    const without = start({ agent: where, taskChannel: false });
    without.say({ id: "m2" });
    await without.until(() => without.reactions.get("m2")?.has("✅") === true);
    expect(without.posts.map(({ post }) => post.content)).toContain("channel none");
  });

  it("shows a task a command started on the command's message: 📥, a thread with the reply, then ✅", async () => {
    const fake = start();
    const on = { channelId: "c1", messageId: "cmd1" };
    await bridge!.startTask({ id: "t-cmd1", input: { text: "hi there", agent: "shouter" } }, on, "ana");
    await fake.until(() => fake.reactions.get("cmd1")?.has("✅") === true);
    expect(fake.threads).toMatchObject([{ on, name: "hi there" }]);
    expect(fake.posts.map(({ post }) => post.content)).toContain("HI THERE @everyone");
  });
});

describe("the bridge across a restart", () => {
  const store = () => new MemorySnapshotStore();
  /** A bridge on `fake` whose surface can read its own reactions, remembering its tasks in `snapshots`. */
  const bridgeOn = (
    fake: ReturnType<typeof recordingSurface>,
    queue: MemoryWorkQueue,
    snapshots: MemorySnapshotStore,
    agents: readonly string[],
  ) =>
    startSurfaceBridge({
      surface: {
        ...fake.surface,
        ownReactions: async (on) => [...(fake.reactions.get(on.messageId) ?? [])],
      },
      bus: team!.bus,
      queue,
      channels: new Map([["general", null]]),
      agents: () => agents,
      reactions: { intervalMs: 0 },
      store: snapshots,
    });
  const remembered = async (snapshots: MemorySnapshotStore) =>
    Promise.all((await snapshots.keys("surface/task/")).map((key) => snapshots.load(key)));
  const leftOpen = (entry: Partial<SurfaceTaskEntry>): SurfaceTaskEntry => ({
    taskId: "t-1",
    message: { channelId: "c1", messageId: "m1" },
    threadName: "hello",
    thread: "thread-m1",
    agent: "shouter",
    reaction: "⚙️",
    posted: false,
    ...entry,
  });

  it("remembers an open task (message, thread, reaction) and forgets it once its outcome and ✅ are out", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = defineAgent({
      name: "held",
      handle: async (task) => {
        await gate;
        return { text: `done: ${task.text}` };
      },
    });
    const fake = bridgeSurface();
    const snapshots = store();
    const queue = new MemoryWorkQueue();
    team = createSupervisor({ agents: [held], fallback: "held" });
    worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
    bridge = bridgeOn(fake, queue, snapshots, ["held"]);
    fake.say({ content: "hold on" });
    await fake.until(() => fake.reactions.get("m1")?.has("⚙️") === true);
    await flush();
    expect(await remembered(snapshots)).toMatchObject([
      {
        message: { channelId: "c1", messageId: "m1" },
        threadName: "hold on",
        thread: "thread-m1",
        agent: "held",
        reaction: "⚙️",
        posted: false,
      },
    ]);
    open();
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(await remembered(snapshots)).toEqual([]);
  });

  it("leaves a reply dropped for the surface's new holder (SurfaceLost) unposted in the ledger, and logs no error", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = defineAgent({
      name: "held",
      handle: async () => {
        await gate;
        return { text: "done" };
      },
    });
    const fake = bridgeSurface();
    const snapshots = store();
    const queue = new MemoryWorkQueue();
    team = createSupervisor({ agents: [held], fallback: "held" });
    worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
    const logged: string[] = [];
    const lost = () => Promise.reject(new TroupeError("SurfaceLost", "another host holds the surface"));
    let holding = true;
    bridge = startSurfaceBridge({
      surface: {
        ...fake.surface,
        post: (channelId, post) => (holding ? fake.surface.post(channelId, post) : lost()),
        react: (on, emoji) => (holding ? fake.surface.react(on, emoji) : lost()),
        unreact: (on, emoji) => (holding ? fake.surface.unreact(on, emoji) : lost()),
      },
      bus: team.bus,
      queue,
      channels: new Map([["general", null]]),
      agents: () => ["held"],
      reactions: { intervalMs: 0 },
      store: snapshots,
      logger: { log: (level, msg) => logged.push(`${level} ${msg}`) },
    });
    fake.say({ content: "hold on" });
    await fake.until(() => fake.reactions.get("m1")?.has("⚙️") === true);
    holding = false; // another host took the surface over
    open();
    await bridge.idle(AbortSignal.timeout(5_000));
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(fake.posts).toEqual([]);
    expect(await remembered(snapshots)).toMatchObject([{ taskId: "t-m1", reaction: "⚙️", posted: false }]);
    expect(logged.filter((line) => line.startsWith("error") || line.startsWith("warn"))).toEqual([]);
  });

  it("posts the outcome of a task that finished while it was down, and leaves ✅ as the one status reaction", async () => {
    const fake = bridgeSurface();
    const snapshots = store();
    await snapshots.save("surface/task/t-1", leftOpen({}));
    fake.reactions.set("m1", new Set(["📥", "⚙️", "🎉"])); // a stale status reaction too, and a person's
    const queue = new MemoryWorkQueue();
    await queue.enqueue({ id: "t-1", input: { id: "t-1", text: "hello", agent: "shouter" } });
    const [lease] = await queue.lease("gone", { max: 1, waitMs: 0 });
    await queue.finish(lease!, { status: "succeeded", output: { text: "the answer" } });
    team = createSupervisor({ agents: [shouter], fallback: "shouter" });
    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    expect(await bridge.reconcile()).toBe(1);
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(fake.posts).toMatchObject([
      { channelId: "thread-m1", post: { content: "the answer", identity: { name: "shouter" } } },
    ]);
    expect([...fake.reactions.get("m1")!]).toEqual(["🎉", "✅"]);
    expect(fake.threads).toEqual([]);
    expect(await remembered(snapshots)).toEqual([]);
  });

  it("does not post a reply again that the host posted before it stopped, short of writing that down", async () => {
    const fake = bridgeSurface();
    const snapshots = store();
    await snapshots.save("surface/task/t-1", leftOpen({}));
    fake.reactions.set("m1", new Set(["⚙️"]));
    const queue = new MemoryWorkQueue();
    await queue.enqueue({ id: "t-1", input: { id: "t-1", text: "hello", agent: "shouter" } });
    const [lease] = await queue.lease("gone", { max: 1, waitMs: 0 });
    await queue.finish(lease!, { status: "succeeded", output: { text: "the answer" } });
    // The stopped host's reply is in the thread; its ledger still says "not posted".
    await fake.surface.post("thread-m1", { content: "the answer", identity: { name: "shouter" } });
    team = createSupervisor({ agents: [shouter], fallback: "shouter" });
    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    expect(await bridge.reconcile()).toBe(1);
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true);
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(fake.posts).toHaveLength(1);
    expect(fake.historyCalls).toEqual([{ threadId: "thread-m1", limit: 20 }]);
    expect([...fake.reactions.get("m1")!]).toEqual(["✅"]);
    expect(await remembered(snapshots)).toEqual([]);
  });

  it("tracks an unfinished task again: a thread when it had none, 📥 instead of a stale ⚙️, then its events as usual", async () => {
    const fake = bridgeSurface();
    const snapshots = store();
    await snapshots.save("surface/task/t-1", leftOpen({ thread: undefined }));
    fake.reactions.set("m1", new Set(["⚙️"]));
    const queue = new MemoryWorkQueue();
    await queue.enqueue({ id: "t-1", input: { id: "t-1", text: "hello", agent: "shouter" } });
    team = createSupervisor({ agents: [shouter], fallback: "shouter" });
    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    expect(await bridge.reconcile()).toBe(1);
    await fake.until(() => fake.reactions.get("m1")?.has("📥") === true);
    expect([...fake.reactions.get("m1")!]).toEqual(["📥"]);
    expect(fake.threads).toEqual([{ on: { channelId: "c1", messageId: "m1" }, name: "hello" }]);
    worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(fake.posts).toMatchObject([{ channelId: "thread-m1", post: { content: "HELLO @everyone" } }]);
    expect([...fake.reactions.get("m1")!]).toEqual(["✅"]);
    expect(await remembered(snapshots)).toEqual([]);
  });

  it("leaves a task another host is running as it showed it (✋ waiting for a person), not 📥", async () => {
    const fake = bridgeSurface();
    const snapshots = store();
    await snapshots.save("surface/task/t-1", leftOpen({ reaction: "✋" }));
    fake.reactions.set("m1", new Set(["✋"]));
    const queue = new MemoryWorkQueue();
    await queue.enqueue({ id: "t-1", input: { id: "t-1", text: "hello", agent: "shouter" } });
    await queue.lease("another-host", { max: 1, waitMs: 0 });
    team = createSupervisor({ agents: [shouter], fallback: "shouter" });
    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    expect(await bridge.reconcile()).toBe(1);
    await flush();
    expect([...fake.reactions.get("m1")!]).toEqual(["✋"]);
    expect(fake.reactionLog).toEqual([]);
    expect(fake.posts).toEqual([]);
  });

  it("takes a follow-up in a thread an earlier run opened, for the same agent", async () => {
    const fake = bridgeSurface();
    const snapshots = store();
    const queue = new MemoryWorkQueue();
    team = createSupervisor({ agents: [shouter], fallback: "shouter" });
    worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    fake.say({ content: "first" });
    await fake.until(() => fake.reactions.get("m1")?.has("✅") === true && fake.posts.length === 1);
    await bridge.stop(AbortSignal.timeout(2_000));
    expect(await snapshots.load("surface/thread/thread-m1")).toEqual({
      threadId: "thread-m1",
      agent: "shouter",
      channel: "general",
      opening: { role: "user", name: "ana", content: "first" },
      activeAt: expect.any(Number),
    });

    bridge = bridgeOn(fake, queue, snapshots, ["shouter"]);
    expect(await bridge.reconcile()).toBe(0);
    fake.say({ id: "m2", channelId: "c1", threadId: "thread-m1", content: "and again" });
    await fake.until(() => fake.reactions.get("m2")?.has("✅") === true && fake.posts.length === 2);
    expect(fake.posts[1]).toMatchObject({
      channelId: "thread-m1",
      post: { content: "AND AGAIN @everyone", identity: { name: "shouter" } },
    });
    expect(fake.threads).toHaveLength(1);
  });
});
