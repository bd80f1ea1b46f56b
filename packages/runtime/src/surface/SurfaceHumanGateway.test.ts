// The surface's HumanGateway on a scripted surface: it waits to be attached, asks in the task's
// thread, takes the next person's message there as the answer, and decides an approval on the first
// ✅/❌ from a member with an approver role (bots, other messages and other members are ignored); a
// task with no thread goes to the fallback; an abort stops the wait. After a restart, an approval
// asked again finds its message in the store and counts the ✅ added while the host was down.
import { describe, expect, it } from "vitest";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { bindAction } from "../human/Approval.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import { createTask } from "../task/Task.ts";
import { recordingSurface } from "../testing/RecordingSurface.ts";
import type { InboundReaction } from "./Surface.ts";
import { createSurfaceHumanGateway } from "./SurfaceHumanGateway.ts";

/** A recording surface with the gateway test's words for what people do. */
const scriptedSurface = () => {
  const recording = recordingSurface();
  return {
    ...recording,
    firstPost: recording.until(() => recording.posts.length > 0),
    reactedTwice: () => recording.until(() => recording.reactionLog.length >= 2),
    sayIn: (threadId: string, content: string, fromBot = false) =>
      recording.say({ id: content, channelId: "channel", threadId, content, fromBot }),
    react: (messageId: string, emoji: string, userName: string, roles: string[], fromBot = false) =>
      recording.reactAs({ messageId, emoji, userName, roles, fromBot }),
  };
};

const taskOf = (id: string) => createTask({ id, text: "x" }, { now: 0 }).task;
const context = (id: string, signal = new AbortController().signal) => ({
  task: taskOf(id),
  agent: "deployer",
  signal,
});
const requestOf = (action: unknown) => ({ ...bindAction(action), expiresAt: 60_000 });

describe("createSurfaceHumanGateway", () => {
  it("asks in the thread once attached and takes the next person's message there", async () => {
    const scripted = scriptedSurface();
    const gateway = createSurfaceHumanGateway({ approverRoles: ["deployers"] });
    const answer = gateway.ask("which region?", context("t-1"));
    const waits: string[] = [];
    gateway.attach({
      surface: scripted.surface,
      threadOf: async () => "thread-1",
      awaitsAnswer: (taskId, waiting) => waits.push(`${taskId} ${waiting}`),
    });
    await scripted.firstPost;
    expect(waits).toEqual(["t-1 true"]); // the bridge takes the answer for no follow-up
    expect(scripted.posts[0]).toMatchObject({
      channelId: "thread-1",
      post: {
        content: expect.stringContaining("deployer asks: which region?"),
        mentions: { roles: ["id-deployers"] },
      },
    });
    scripted.sayIn("other-thread", "us-east");
    scripted.sayIn("thread-1", "from a bot", true);
    scripted.sayIn("thread-1", "eu-west");
    await expect(answer).resolves.toBe("eu-west");
    expect(scripted.listening()).toBe(0);
    expect(waits).toEqual(["t-1 true", "t-1 false"]);
  });

  it("decides an approval on the first ✅/❌ from a member with an approver role", async () => {
    const scripted = scriptedSurface();
    const gateway = createSurfaceHumanGateway({ approverRoles: ["deployers"] });
    gateway.attach({ surface: scripted.surface, threadOf: async () => "thread-1" });
    const request = requestOf({ kind: "deploy", target: "prod" });
    const answer = gateway.approve!(request, context("t-2"));
    await scripted.reactedTwice();
    expect(scripted.reactionLog).toEqual(["p1 ✅", "p1 ❌"]);
    expect(scripted.posts[0]!.post.content).toContain(`#${request.shortHash}`);
    scripted.react("p1", "✅", "troupe", [], true);
    scripted.react("p1", "✅", "bo", ["visitors"]);
    scripted.react("p2", "✅", "ana", ["deployers"]);
    scripted.react("p1", "👍", "ana", ["deployers"]);
    scripted.react("p1", "❌", "ana", ["deployers"]);
    await expect(answer).resolves.toEqual({ hash: request.hash, approved: false, by: "test:ana" });
    expect(scripted.listening()).toBe(0);
  });

  it("lets anyone but a bot decide when no approver role is configured, and mentions nobody", async () => {
    const scripted = scriptedSurface();
    const gateway = createSurfaceHumanGateway({ approverRoles: [] });
    gateway.attach({ surface: scripted.surface, threadOf: async () => "thread-1" });
    const request = requestOf({ kind: "deploy" });
    const answer = gateway.approve!(request, context("t-3"));
    await scripted.reactedTwice();
    expect(scripted.posts[0]!.post.mentions).toEqual({ roles: [] });
    scripted.react("p1", "✅", "bo", []);
    await expect(answer).resolves.toMatchObject({ approved: true, by: "test:bo" });
  });

  it("asks the fallback for a task with no thread, and stops waiting when the signal aborts", async () => {
    const scripted = scriptedSurface();
    const fallback: HumanGateway = { ask: async (question) => `console says: ${question}` };
    const gateway = createSurfaceHumanGateway({ approverRoles: [], fallback });
    gateway.attach({
      surface: scripted.surface,
      threadOf: async (id) => (id === "t-4" ? undefined : "thread"),
    });
    await expect(gateway.ask("why?", context("t-4"))).resolves.toBe("console says: why?");
    const stop = new AbortController();
    const waiting = gateway.ask("why?", context("t-5", stop.signal));
    await scripted.firstPost;
    stop.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    expect(scripted.listening()).toBe(0);
  });
});

describe("an approval asked again after a restart", () => {
  it("finds the message it posted and counts a ✅ from an approver added meanwhile, posting nothing", async () => {
    const store = new MemorySnapshotStore();
    const request = requestOf({ kind: "deploy", target: "prod" });
    const before = scriptedSurface();
    const first = createSurfaceHumanGateway({ approverRoles: ["deployers"] });
    first.attach({ surface: before.surface, threadOf: async () => "thread-1", store });
    const died = new AbortController();
    const pending = first.approve!(request, context("t-9", died.signal));
    await before.reactedTwice();
    died.abort(new Error("the host died"));
    await expect(pending).rejects.toThrow("the host died");
    expect(before.posts).toHaveLength(1);

    const after = scriptedSurface();
    const reactionOf = (emoji: string, userName: string, role: string): InboundReaction => ({
      channelId: "thread-1",
      messageId: "p1",
      emoji,
      userId: userName,
      userName,
      fromBot: false,
      roles: [{ id: `id-${role}`, name: role }],
    });
    const asked: string[] = [];
    const second = createSurfaceHumanGateway({ approverRoles: ["deployers"] });
    second.attach({
      surface: {
        ...after.surface,
        reactionsOn: async (on, emoji) => {
          asked.push(`${on.messageId} ${emoji}`);
          return emoji === "✅"
            ? [reactionOf("✅", "bo", "visitors"), reactionOf("✅", "ana", "deployers")]
            : [];
        },
      },
      threadOf: async () => "thread-1",
      store,
    });
    await expect(second.approve!(request, context("t-9"))).resolves.toEqual({
      hash: request.hash,
      approved: true,
      by: "test:ana",
    });
    expect(asked).toEqual(["p1 ❌", "p1 ✅"]);
    expect(after.posts).toEqual([]);
    expect(after.reactionLog).toEqual([]);
    expect(after.listening()).toBe(0);
  });
});
