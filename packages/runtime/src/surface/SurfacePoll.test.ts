// Polls on a scripted surface, through a test team's `ctx.poll` and the surface's HumanGateway: the
// question goes to the task's thread with keycap reactions, bots and other messages never count, a
// person's later vote replaces their earlier one, roles limit who votes, the first choice with the
// quorum wins, and at the expiry the tally comes back with no winner.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { PollOptions, PollResult } from "../human/Poll.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";
import { recordingSurface } from "../testing/RecordingSurface.ts";
import { createSurfaceHumanGateway } from "./SurfaceHumanGateway.ts";

/** A recording surface where the test votes as anyone on the poll's message (p1). */
const pollSurface = () => {
  const recording = recordingSurface();
  return {
    ...recording,
    /** Resolves once the surface has added `count` reactions. */
    reacted: (count: number) => recording.until(() => recording.reactionLog.length >= count),
    react: (
      emoji: string,
      userName: string,
      options: { roles?: string[]; bot?: boolean; on?: string } = {},
    ) =>
      recording.reactAs({
        channelId: "thread-1",
        messageId: options.on ?? "p1",
        emoji,
        userName,
        ...(options.roles ? { roles: options.roles } : {}),
        ...(options.bot ? { fromBot: true } : {}),
      }),
  };
};

const pollTeam = (options: PollOptions) => {
  const scripted = pollSurface();
  const human = createSurfaceHumanGateway({ approverRoles: [] });
  human.attach({ surface: scripted.surface, threadOf: async () => "thread-1" });
  const voter = scriptedAgent("voter", [{ run: (_task, ctx) => ctx.poll(options) }]);
  const test = createTestTeam({ agents: [voter], human });
  const run = test.team.submit({ agent: "voter", text: "vote" });
  return { ...test, scripted, result: run.result as Promise<PollResult> };
};

describe("polls on a chat surface", () => {
  it("posts the numbered choices with keycaps and resolves when one choice has the quorum", async () => {
    const { scripted, result, next, team } = pollTeam({
      question: "Ship on Friday?",
      choices: ["yes", "no", "later"],
      quorum: 2,
    });
    await scripted.reacted(3);
    expect(scripted.reactionLog).toEqual(["p1 1️⃣", "p1 2️⃣", "p1 3️⃣"]);
    expect(scripted.posts[0]).toMatchObject({ channelId: "thread-1" });
    const content = scripted.posts[0]!.post.content;
    expect(content).toContain("voter asks for a vote: Ship on Friday?");
    expect(content).toContain("1️⃣ yes\n2️⃣ no\n3️⃣ later");
    expect(content).toContain("The first choice with 2 votes wins");
    expect(await next("task.awaiting_human")).toMatchObject({ question: "Ship on Friday?" });

    scripted.react("1️⃣", "troupe-bot", { bot: true });
    scripted.react("1️⃣", "ana", { on: "p2" });
    scripted.react("👍", "ana");
    scripted.react("1️⃣", "ana");
    scripted.react("1️⃣", "ana");
    scripted.react("2️⃣", "bo");
    scripted.react("1️⃣", "bo"); // bo changes his mind: his vote moves to "yes", the quorum
    await expect(result).resolves.toEqual({
      question: "Ship on Friday?",
      winner: "yes",
      closedBy: "quorum",
      tally: [
        { choice: "yes", votes: 2 },
        { choice: "no", votes: 0 },
        { choice: "later", votes: 0 },
      ],
      votes: [
        { voter: "test:ana", choice: "yes" },
        { voter: "test:bo", choice: "yes" },
      ],
    });
    expect(scripted.listening()).toBe(0);
    team.stop();
  });

  it("closes at the expiry with the tally and no winner", async () => {
    const { scripted, result, advance, team } = pollTeam({
      question: "Which region?",
      choices: ["eu", "us"],
      quorum: 3,
      expiresIn: "5m",
    });
    await scripted.reacted(2);
    scripted.react("2️⃣", "ana");
    scripted.react("1️⃣", "bo");
    await advance(5 * 60_000);
    await expect(result).resolves.toMatchObject({
      winner: null,
      closedBy: "expiry",
      tally: [
        { choice: "eu", votes: 1 },
        { choice: "us", votes: 1 },
      ],
      votes: [
        { voter: "test:ana", choice: "us" },
        { voter: "test:bo", choice: "eu" },
      ],
    });
    expect(scripted.listening()).toBe(0);
    team.stop();
  });

  it("counts only members with a voter role, mentions the role, and counts votes already cast", async () => {
    const { scripted, result, team } = pollTeam({
      question: "Merge?",
      choices: ["yes", "no"],
      quorum: 2,
      roles: ["maintainers"],
      votes: [{ voter: "agent:reviewer", choice: "no" }],
    });
    await scripted.reacted(2);
    const { post } = scripted.posts[0]!;
    expect(post.content.startsWith("<@&id-maintainers> ")).toBe(true);
    expect(post.mentions).toEqual({ roles: ["id-maintainers"] });
    expect(post.content).toContain("Already counted: agent:reviewer → no.");
    scripted.react("2️⃣", "cy", { roles: ["visitors"] });
    scripted.react("2️⃣", "ana", { roles: ["maintainers"] });
    await expect(result).resolves.toMatchObject({
      winner: "no",
      votes: [
        { voter: "agent:reviewer", choice: "no" },
        { voter: "test:ana", choice: "no" },
      ],
    });
    team.stop();
  });

  it("refuses more than ten choices, and a team whose gateway cannot take votes", async () => {
    const eleven = Array.from({ length: 11 }, (_, index) => `choice ${index + 1}`);
    const { result, team } = pollTeam({ question: "Pick", choices: eleven, quorum: 1 });
    await expect(result).rejects.toSatisfy(
      (error) => isTroupeError(error, "InvalidPoll") && /2 to 10 choices, got 11/.test(error.reason),
    );
    team.stop();

    const voter = scriptedAgent("voter", [
      { run: (_task, ctx) => ctx.poll({ question: "Pick", choices: ["a", "b"], quorum: 1 }) },
    ]);
    const plain = createTestTeam({ agents: [voter], human: { ask: async () => "no votes here" } });
    await expect(plain.team.submit({ agent: "voter", text: "vote" }).result).rejects.toSatisfy(
      (error) => isTroupeError(error, "InvalidCommand") && /cannot take votes/.test(error.reason),
    );
    plain.team.stop();
  });
});
