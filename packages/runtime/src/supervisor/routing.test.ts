// Routing by each rule kind, the classifier and fallback, NoRoute, and the allocation strategies
// (first idle, least loaded, auction) that choose among several capable agents.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, type ScriptStep, scriptedAgent } from "../testing/index.ts";
import { route } from "./routing.ts";

const named = (name: string, options: Parameters<typeof scriptedAgent>[2] = {}) =>
  scriptedAgent(name, [{ reply: name }], options);

describe("routing rules", () => {
  const agents = () => [
    named("summarizer", { capabilities: ["summarize"] }),
    named("deployer", { capabilities: ["deploy"] }),
    named("echo"),
  ];
  const routes = [
    route.command("/summarize", "summarizer"),
    route.channel("deploys", "deployer"),
    route.mention(),
    route.capability(),
  ];

  it("routes by slash command, channel, mention and capability", async () => {
    const { team, seen } = createTestTeam({ agents: agents(), routes });
    await expect(team.submit({ command: "/summarize", text: "the incident" }).result).resolves.toBe(
      "summarizer",
    );
    await expect(team.submit({ channel: "deploys", text: "ship it" }).result).resolves.toBe("deployer");
    await expect(team.submit({ text: "hey @echo say hi" }).result).resolves.toBe("echo");
    await expect(team.submit({ needs: ["deploy"], text: "roll back" }).result).resolves.toBe("deployer");
    expect(seen("task.routed").map((event) => event.rule)).toEqual([
      "command:/summarize",
      "channel:deploys",
      "mention:@echo",
      "capability:deploy",
    ]);
    team.stop();
  });

  it("asks the classifier after the rules, then falls back", async () => {
    const { team, seen } = createTestTeam({
      agents: agents(),
      routes,
      classify: (task) => (task.text.includes("tl;dr") ? "summarizer" : undefined),
      fallback: "echo",
    });
    await expect(team.submit("tl;dr of the thread").result).resolves.toBe("summarizer");
    await expect(team.submit("something else").result).resolves.toBe("echo");
    expect(seen("task.routed").map((event) => event.rule)).toEqual(["classifier", "fallback"]);
    team.stop();
  });

  it("fails an unroutable task with NoRoute naming every rule it tried", async () => {
    const { team } = createTestTeam({ agents: agents(), routes, classify: () => undefined });
    const error = await team
      .submit({ text: "nobody handles this", channel: "random" })
      .result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "NoRoute")).toBe(true);
    expect((error as Error).message).toBe(
      'no agent can take "nobody handles this"; tried: command, channel, mention, capability, classifier, fallback (none configured)',
    );
    await expect(team.submit({ agent: "ghost", text: "x" }).result).rejects.toThrow(
      /agent:ghost \(no such agent\)/,
    );
    team.stop();
  });

  it("refuses, at creation, routes and fallbacks that name agents not in the team", () => {
    expect(() => createTestTeam({ agents: agents(), routes: [route.channel("ops", "opsbot")] })).toThrow(
      /channel route names agent "opsbot", which is not in the team/,
    );
    expect(() => createTestTeam({ agents: agents(), fallback: "nobody" })).toThrow(/fallback agent "nobody"/);
  });
});

/** An agent that holds its tasks until released, to build up queues. */
const holding = (name: string, options: Parameters<typeof scriptedAgent>[2] = {}) => {
  const waiting: (() => void)[] = [];
  const step: ScriptStep = { run: () => new Promise((resolve) => waiting.push(() => resolve(name))) };
  return {
    agent: scriptedAgent(name, [step], { capabilities: ["work"], ...options }),
    releaseAll: () => {
      for (const go of waiting.splice(0)) go();
    },
  };
};

describe("allocation among capable agents", () => {
  it("least-loaded: sends each task to the agent with the shortest queue", async () => {
    const [x, y] = [holding("x"), holding("y")];
    const { team, seen } = createTestTeam({
      agents: [x.agent, y.agent],
      routes: [route.capability({ allocate: "least-loaded" })],
    });
    const runs = [1, 2, 3, 4].map((i) => team.submit({ needs: ["work"], text: `job ${i}` }));
    expect(seen("task.routed").map((event) => event.agent)).toEqual(["x", "y", "x", "y"]);
    expect(team.status().agents.map((agent) => agent.queue)).toEqual([1, 1]);
    x.releaseAll();
    y.releaseAll();
    await runs[0]!.result;
    await runs[1]!.result;
    x.releaseAll();
    y.releaseAll();
    await Promise.all(runs.map((run) => run.result));
    team.stop();
  });

  it("first-idle: a task waits in a shared queue and the first agent to become idle claims it", async () => {
    const [x, y] = [holding("x"), holding("y")];
    const { team, seen } = createTestTeam({
      agents: [x.agent, y.agent],
      routes: [route.capability({ allocate: "first-idle" })],
    });
    const first = team.submit({ needs: ["work"], text: "one" });
    const second = team.submit({ needs: ["work"], text: "two" });
    const third = team.submit({ needs: ["work"], text: "three" });
    expect(seen("task.routed").map((event) => event.agent)).toEqual(["x", "y"]);
    expect(team.status().queued).toBe(1);
    y.releaseAll();
    await expect(second.result).resolves.toBe("y");
    expect(seen("task.routed").find((event) => event.taskId === third.id)?.agent).toBe("y");
    x.releaseAll();
    y.releaseAll();
    await Promise.all([first.result, third.result]);
    team.stop();
  });

  it("auction: the lowest bid wins, ties go to the name that sorts first, abstainers are skipped", async () => {
    const cheap = named("cheap", { capabilities: ["work"], bid: () => 1 });
    const alsoCheap = named("also-cheap", { capabilities: ["work"], bid: async () => 1 });
    const pricey = named("pricey", { capabilities: ["work"], bid: () => 9 });
    const abstains = named("abstains", { capabilities: ["work"], bid: () => undefined });
    const { team } = createTestTeam({
      agents: [cheap, pricey, abstains, alsoCheap],
      routes: [route.capability({ allocate: { auction: { bidDeadline: "1s" } } })],
    });
    await expect(team.submit({ needs: ["work"], text: "bid on me" }).result).resolves.toBe("also-cheap");
    team.stop();
  });

  it("auction: bids that miss the bid deadline do not count", async () => {
    const slowBidder = named("slow", { capabilities: ["work"], bid: () => new Promise<number>(() => {}) });
    const quick = named("quick", { capabilities: ["work"], bid: () => 5 });
    const { team, advance } = createTestTeam({
      agents: [slowBidder, quick],
      routes: [route.capability({ allocate: { auction: { bidDeadline: "2s" } } })],
    });
    const run = team.submit({ needs: ["work"], text: "hurry" });
    await advance(2_000);
    await expect(run.result).resolves.toBe("quick");
    team.stop();
  });
});
