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
import { type RecordedPost, recordingSurface } from "../testing/RecordingSurface.ts";
import { boundNotes, boundTurns } from "./followUps.ts";
import { type SurfaceBridge, startSurfaceBridge } from "./SurfaceBridge.ts";
import { createSurfaceHumanGateway } from "./SurfaceHumanGateway.ts";

/** A recording surface where the test speaks in channel c1 or in a thread, as ana unless told. */
const threadedSurface = () => {
  const recording = recordingSurface();
  return {
    ...recording,
    say: (content: string, where: { threadId?: string; fromBot?: boolean; authorName?: string } = {}) =>
      recording.say({ content, ...where }),
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

const replyOf = (posted: RecordedPost | undefined) =>
  JSON.parse(posted?.post.content ?? "null") as {
    text: string;
    conversation: ConversationTurn[];
    notes: string[];
  };

describe("follow-ups in a task's thread", () => {
  it("go to the same agent with the thread as conversation and its pins as notes, answered in the thread", async () => {
    const fake = start();
    const opening = fake.say("@recorder what is in the box?");
    const thread = `thread-${opening.id}`;
    await fake.until(
      () => fake.postsIn(thread).length === 1 && fake.reactions.get(opening.id)?.has("✅") === true,
    );
    const first = fake.postsIn(thread)[0]!;
    fake.pin(thread, first.messageId);

    const followUp = fake.say("and under it?", { threadId: thread, authorName: "bo" });
    await fake.until(
      () => fake.postsIn(thread).length === 2 && fake.reactions.get(followUp.id)?.has("✅") === true,
    );

    const second = fake.postsIn(thread)[1]!;
    expect(second.post.identity?.name).toBe("recorder");
    expect(replyOf(second)).toEqual({
      text: "and under it?",
      conversation: [
        { role: "user", name: "ana", content: "what is in the box?" },
        { role: "assistant", name: "recorder", content: first.post.content },
      ],
      notes: [first.post.content],
    });
    expect([...fake.reactions.get(followUp.id)!]).toEqual(["✅"]);
    expect(bridge!.stats()).toMatchObject({ tasks: 2, followUps: 1 });
  });

  it("start nothing while the thread's task waits for a person: the message is the answer", async () => {
    const fake = start();
    const opening = fake.say("@asker which region?");
    const thread = `thread-${opening.id}`;
    await fake.until(() =>
      fake.postsIn(thread).some(({ post }) => post.content.includes("asker asks: which region?")),
    );
    const answer = fake.say("eu-west", { threadId: thread, authorName: "cy" });
    await fake.until(() => fake.postsIn(thread).some(({ post }) => post.content === "answered: eu-west"));
    await bridge!.idle();
    expect(fake.reactions.get(answer.id)).toBeUndefined();
    expect(fake.postsIn(thread).filter(({ post }) => post.content.includes("which region?"))).toHaveLength(1);
    expect(bridge!.stats()).toMatchObject({ tasks: 1, followUps: 0, ignored: 1 });
  });

  it("start nothing from a bot, nor in a thread Troupe did not open", async () => {
    const fake = start();
    const opening = fake.say("@recorder hello");
    const thread = `thread-${opening.id}`;
    await fake.until(() => fake.postsIn(thread).length === 1);
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
    await fake.until(() => fake.postsIn(thread).length === 1);
    await bridge!.idle();
    fake.say("two", { threadId: thread });
    await fake.until(() => fake.postsIn(thread).length === 2);
    await bridge!.idle();
    fake.say("three", { threadId: thread });
    await fake.until(() => fake.postsIn(thread).length === 3);
    const { conversation } = replyOf(fake.postsIn(thread)[2]);
    expect(fake.historyCalls.map((call) => call.limit)).toEqual([3, 3]);
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
