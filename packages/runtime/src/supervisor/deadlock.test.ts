// Deadlock detection: agents that wait on each other's tasks in a cycle are found at once, and the
// wait that would close the cycle fails with a Deadlock error naming the agents.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

describe("deadlock detection", () => {
  it("breaks a two-agent cycle with a Deadlock error naming both agents", async () => {
    const planner = scriptedAgent("planner", [
      { run: (task, ctx) => ctx.delegate({ agent: "critic", text: `review ${task.text}` }) },
    ]);
    const critic = scriptedAgent("critic", [
      { run: (task, ctx) => ctx.delegate({ agent: "planner", text: `re-plan ${task.text}` }) },
    ]);
    const { team, next } = createTestTeam({ agents: [planner, critic] });
    const run = team.submit({ agent: "planner", text: "the launch" });
    const detected = await next("deadlock.detected");
    expect(detected.cycle).toEqual(["critic", "planner", "critic"]);
    const error = await run.result.catch((caught: unknown) => caught);
    // The refused wait surfaces in critic, which fails; planner's wait on critic then fails too.
    expect(isTroupeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/deadlock: critic → planner → critic/);
    expect(team.status().agents.map((agent) => agent.state)).toEqual(["idle", "idle"]);
    team.stop();
  });

  it("refuses an agent waiting on itself", async () => {
    const selfish = scriptedAgent("selfish", [
      { run: (_task, ctx) => ctx.delegate({ agent: "selfish", text: "again" }) },
    ]);
    const { team } = createTestTeam({ agents: [selfish] });
    const error = await team
      .submit({ agent: "selfish", text: "go" })
      .result.catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/deadlock: selfish → selfish/);
    team.stop();
  });

  it("lets a chain without a cycle complete", async () => {
    const a = scriptedAgent("a", [
      { run: async (_task, ctx) => `a(${await ctx.delegate({ agent: "b", text: "x" })})` },
    ]);
    const b = scriptedAgent("b", [
      { run: async (_task, ctx) => `b(${await ctx.delegate({ agent: "c", text: "x" })})` },
    ]);
    const c = scriptedAgent("c", [{ reply: "c" }]);
    const { team, seen } = createTestTeam({ agents: [a, b, c] });
    await expect(team.submit({ agent: "a", text: "go" }).result).resolves.toBe("a(b(c))");
    expect(seen("deadlock.detected")).toHaveLength(0);
    expect(seen("task.queued").map((event) => event.parentTaskId === null)).toEqual([true, false, false]);
    team.stop();
  });
});
