// Follow-ups through the bridge on a surface that keeps threads' messages and pins, with a real team
// and the in-memory work queue: a person's message in a task's thread goes to the same agent with the
// thread so far as conversation and its pins as notes, and is answered in that thread; it starts
// nothing while the thread's task waits for an answer, when a bot wrote it, or in a thread Troupe did
// not open; the history a follow-up carries is bounded.
import { afterEach, describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { startWorker, type Worker } from "../durable/DurableWorker.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import type { ConversationTurn } from "../task/Task.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { boundNotes, boundTurns } from "./followUps.ts";
import type { InboundMessage, Surface, SurfaceHistoryMessage } from "./Surface.ts";
import { type SurfaceBridge, startSurfaceBridge } from "./SurfaceBridge.ts";
import { createSurfaceHumanGateway } from "./SurfaceHumanGateway.ts";

/** A surface that keeps every channel's and thread's messages, and a thread's pins. */
const threadedSurface = () => {
  const listeners = new Set<(message: InboundMessage) => void>();
  const logs = new Map<string, SurfaceHistoryMessage[]>();
  const pins = new Map<string, SurfaceHistoryMessage[]>();
  const reactions = new Map<string, Set<string>>();
  const historyLimits: number[] = [];
  const waiters = new Set<() => void>();
  let posted = 0;
  const changed = () => {
    for (const wake of waiters) wake();
  };
  const logOf = (channelId: string) => {
    const log = logs.get(channelId) ?? [];
    logs.set(channelId, log);
    return log;
  };
  const surface: Surface = {
    kind: "test",
    maxMessageChars: 2_000,
    startThread: async (on) => `thread-${on.messageId}`,
    async post(channelId, post) {
      posted += 1;
      const id = `p${posted}`;
      logOf(channelId).push({
        id,
        authorName: post.identity?.name ?? "troupe",
        fromBot: true,
        content: post.content,
      });
      changed();
      return { channelId, messageId: id };
    },
    async react(on, emoji) {
      reactions.set(on.messageId, (reactions.get(on.messageId) ?? new Set()).add(emoji));
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
    async history(threadId, { limit, before }) {
      historyLimits.push(limit);
      const log = logOf(threadId);
      const end = before === undefined ? log.length : log.findIndex((message) => message.id === before);
      return log.slice(Math.max(0, (end < 0 ? log.length : end) - limit), end < 0 ? log.length : end);
    },
    pinned: async (threadId) => pins.get(threadId) ?? [],
  };
  let said = 0;
  return {
    surface,
    reactions,
    historyLimits,
    /** Posts in a channel or thread, in order. */
    posts: (channelId: string) => logOf(channelId).filter((message) => message.id.startsWith("p")),
    until: (check: () => boolean) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          if (!check()) return;
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        wake();
      }),
    say(content: string, where: { threadId?: string; fromBot?: boolean; authorName?: string } = {}) {
      said += 1;
      const message: InboundMessage = {
        id: `m${said}`,
        channelId: "c1",
        channelName: "general",
        threadId: where.threadId,
        authorId: `u-${where.authorName ?? "ana"}`,
        authorName: where.authorName ?? "ana",
        fromBot: where.fromBot ?? false,
        content,
      };
      logOf(where.threadId ?? "c1").push({
        id: message.id,
        authorName: message.authorName,
        fromBot: message.fromBot,
        content,
      });
      for (const listener of listeners) listener(message);
      return message;
    },
    pin(threadId: string, messageId: string) {
      const message = logOf(threadId).find((candidate) => candidate.id === messageId);
      if (!message) throw new Error(`no message ${messageId} in ${threadId}`);
      pins.set(threadId, [...(pins.get(threadId) ?? []), message]);
    },
  };
};

/** Says what it was given: the request, the conversation and the notes. */
const recorder = defineAgent({
  name: "recorder",
  handle: (task) => ({
    text: JSON.stringify({ text: task.text, conversation: task.conversation, notes: task.notes }),
  }),
});
const other = defineAgent({ name: "other", handle: () => ({ text: "other here" }) });
const asker = defineAgent({
  name: "asker",
  handle: async (task, ctx) => ({ text: `answered: ${await ctx.askHuman(task.text)}` }),
});

let team: Team | undefined;
let worker: Worker | undefined;
let bridge: SurfaceBridge | undefined;
afterEach(async () => {
  await bridge?.stop(AbortSignal.timeout(2_000));
  await worker?.stop();
  team?.stop();
});

const start = (followUps?: { turns: number; chars: number; notes: number; noteChars: number }) => {
  const fake = threadedSurface();
  const human = createSurfaceHumanGateway({ approverRoles: [] });
  // Plain messages go to "other": only the thread can send a follow-up to the recorder.
  team = createSupervisor({ agents: [recorder, other, asker], fallback: "other", human });
  const queue = new MemoryWorkQueue();
  worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
  const started = startSurfaceBridge({
    surface: fake.surface,
    bus: team.bus,
    queue,
    channels: new Map([["general", null]]),
    agents: () => ["recorder", "other", "asker"],
    reactions: { intervalMs: 0 },
    ...(followUps ? { followUps } : {}),
  });
  bridge = started;
  human.attach({ surface: fake.surface, threadOf: (taskId) => started.threadOf(taskId) });
  return fake;
};

const replyOf = (post: SurfaceHistoryMessage | undefined) =>
  JSON.parse(post?.content ?? "null") as { text: string; conversation: ConversationTurn[]; notes: string[] };

describe("follow-ups in a task's thread", () => {
  it("go to the same agent with the thread as conversation and its pins as notes, answered in the thread", async () => {
    const fake = start();
    const opening = fake.say("@recorder what is in the box?");
    const thread = `thread-${opening.id}`;
    await fake.until(
      () => fake.posts(thread).length === 1 && fake.reactions.get(opening.id)?.has("✅") === true,
    );
    const first = fake.posts(thread)[0]!;
    fake.pin(thread, first.id);

    const followUp = fake.say("and under it?", { threadId: thread, authorName: "bo" });
    await fake.until(
      () => fake.posts(thread).length === 2 && fake.reactions.get(followUp.id)?.has("✅") === true,
    );

    const second = fake.posts(thread)[1]!;
    expect(second.authorName).toBe("recorder");
    expect(replyOf(second)).toEqual({
      text: "and under it?",
      conversation: [
        { role: "user", name: "ana", content: "what is in the box?" },
        { role: "assistant", name: "recorder", content: first.content },
      ],
      notes: [first.content],
    });
    expect([...fake.reactions.get(followUp.id)!]).toEqual(["✅"]);
    expect(bridge!.stats()).toMatchObject({ tasks: 2, followUps: 1 });
  });

  it("start nothing while the thread's task waits for a person: the message is the answer", async () => {
    const fake = start();
    const opening = fake.say("@asker which region?");
    const thread = `thread-${opening.id}`;
    await fake.until(() =>
      fake.posts(thread).some((post) => post.content.includes("asker asks: which region?")),
    );
    const answer = fake.say("eu-west", { threadId: thread, authorName: "cy" });
    await fake.until(() => fake.posts(thread).some((post) => post.content === "answered: eu-west"));
    await bridge!.idle();
    expect(fake.reactions.get(answer.id)).toBeUndefined();
    expect(fake.posts(thread).filter((post) => post.content.includes("which region?"))).toHaveLength(1);
    expect(bridge!.stats()).toMatchObject({ tasks: 1, followUps: 0, ignored: 1 });
  });

  it("start nothing from a bot, nor in a thread Troupe did not open", async () => {
    const fake = start();
    const opening = fake.say("@recorder hello");
    const thread = `thread-${opening.id}`;
    await fake.until(() => fake.posts(thread).length === 1);
    await bridge!.idle();
    fake.say("a bot speaks", { threadId: thread, fromBot: true, authorName: "otherbot" });
    fake.say("someone else's thread", { threadId: "thread-elsewhere" });
    expect(bridge!.open).toBe(0);
    expect(bridge!.stats()).toMatchObject({ tasks: 1, followUps: 0, fromBots: 1, ignored: 1 });
  });

  it("carry the newest turns within the limits", async () => {
    const fake = start({ turns: 3, chars: 8_000, notes: 10, noteChars: 4_000 });
    const opening = fake.say("@recorder one");
    const thread = `thread-${opening.id}`;
    await fake.until(() => fake.posts(thread).length === 1);
    await bridge!.idle();
    fake.say("two", { threadId: thread });
    await fake.until(() => fake.posts(thread).length === 2);
    await bridge!.idle();
    fake.say("three", { threadId: thread });
    await fake.until(() => fake.posts(thread).length === 3);
    const { conversation } = replyOf(fake.posts(thread)[2]);
    expect(fake.historyLimits).toEqual([3, 3]);
    expect(conversation.map((turn) => turn.role)).toEqual(["assistant", "user", "assistant"]);
    expect(conversation[1]!.content).toBe("two");
  });
});

describe("boundTurns and boundNotes", () => {
  const turn = (content: string): ConversationTurn => ({ role: "user", name: "ana", content });

  it("keep the newest turns within the count and the characters, cutting only a lone long one", () => {
    expect(boundTurns([turn("a"), turn("b"), turn("c")], { turns: 2, chars: 100 })).toEqual([
      turn("b"),
      turn("c"),
    ]);
    expect(boundTurns([turn("aaaa"), turn("bbbb"), turn("cc")], { turns: 10, chars: 7 })).toEqual([
      turn("bbbb"),
      turn("cc"),
    ]);
    expect(boundTurns([turn("x".repeat(50))], { turns: 10, chars: 10 })).toEqual([turn(`${"x".repeat(9)}…`)]);
  });

  it("take pinned messages in order within the count and the characters, skipping empty ones", () => {
    const pin = (content: string) => ({ id: content, authorName: "ana", fromBot: false, content });
    expect(
      boundNotes([pin("one"), pin(" "), pin("two"), pin("three")], { notes: 2, noteChars: 100 }),
    ).toEqual(["one", "two"]);
    expect(boundNotes([pin("12345"), pin("67890")], { notes: 10, noteChars: 8 })).toEqual(["12345", "67…"]);
  });
});
