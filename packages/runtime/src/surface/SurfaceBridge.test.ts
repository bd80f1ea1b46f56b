// The bridge on a recording surface, a real team and the in-memory work queue: a message becomes a
// task with a thread, one status reaction at a time, and the result in the thread under the agent's
// name; bots and duplicates start nothing; privacy mode posts metadata only; mentions stay off.
import { afterEach, describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { startWorker, type Worker } from "../durable/DurableWorker.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import type { InboundMessage, Surface, SurfaceMessageRef, SurfacePost } from "./Surface.ts";
import { type SurfaceBridge, startSurfaceBridge } from "./SurfaceBridge.ts";
import { statusSymbolSet } from "./statusSymbols.ts";

const recordingSurface = () => {
  const listeners = new Set<(message: InboundMessage) => void>();
  const reactions = new Map<string, Set<string>>();
  const history: string[] = [];
  const posts: { channelId: string; post: SurfacePost }[] = [];
  const threads: { on: SurfaceMessageRef; name: string }[] = [];
  let maxShown = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const wake of waiters) wake();
  };
  const surface: Surface = {
    kind: "test",
    maxMessageChars: 2_000,
    async startThread(on, name) {
      threads.push({ on, name });
      changed();
      return `thread-${on.messageId}`;
    },
    async post(channelId, post) {
      posts.push({ channelId, post });
      changed();
      return { channelId, messageId: `p${posts.length}` };
    },
    async react(on, emoji) {
      const shown = reactions.get(on.messageId) ?? new Set();
      shown.add(emoji);
      reactions.set(on.messageId, shown);
      maxShown = Math.max(maxShown, [...shown].filter((e) => statusSymbolSet.has(e)).length);
      history.push(emoji);
      changed();
    },
    async unreact(on, emoji) {
      reactions.get(on.messageId)?.delete(emoji);
      changed();
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        if (!check()) return;
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
      wake();
    });
  const say = (fields: Partial<InboundMessage>) => {
    const message: InboundMessage = {
      id: "m1",
      channelId: "c1",
      channelName: "general",
      threadId: undefined,
      authorId: "u1",
      authorName: "ana",
      fromBot: false,
      content: "hello",
      ...fields,
    };
    for (const listener of listeners) listener(message);
  };
  return { surface, reactions, history, posts, threads, until, say, maxShown: () => maxShown };
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

const start = (options: { privacy?: boolean } = {}) => {
  const fake = recordingSurface();
  team = createSupervisor({ agents: [shouter], fallback: "shouter" });
  const queue = new MemoryWorkQueue();
  worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
  bridge = startSurfaceBridge({
    surface: fake.surface,
    bus: team.bus,
    queue,
    channels: new Map([["general", null]]),
    agents: () => ["shouter"],
    reactions: { intervalMs: 0 },
    ...options,
  });
  return fake;
};

describe("startSurfaceBridge", () => {
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
    expect(fake.history[0]).toBe("📥");
    expect(fake.history.at(-1)).toBe("✅");
    expect(fake.maxShown()).toBe(1);
    expect([...fake.reactions.get("m1")!]).toEqual(["✅"]);
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
