// Cancellation of any task by id, queued or running (an agent waiting in ctx.sleep included), with
// its signal aborted and its sub-tasks too; a cancelled handler that finishes anyway settles nothing.
import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

describe("cancellation", () => {
  it("cancels a running task: its signal aborts with the reason and the agent takes the next task", async () => {
    const agent = scriptedAgent("worker", [{ hang: true }, { reply: "next one" }]);
    const { team, next } = createTestTeam({ agents: [agent] });
    const running = team.submit({ agent: "worker", text: "long" });
    const queued = team.submit({ agent: "worker", text: "after" });
    await next("task.started", (event) => event.taskId === running.id);
    expect(team.cancel(running.id, "the user changed their mind")).toBe(true);
    await expect(running.result).rejects.toMatchObject({
      _tag: "Cancelled",
      reason: "the user changed their mind",
    });
    expect(agent.aborted.map((task) => task.id)).toEqual([running.id]);
    await expect(queued.result).resolves.toBe("next one");
    team.stop();
  });

  it("cuts an agent's ctx.sleep short: the task ends cancelled at once, not when the wait is over", async () => {
    let woke = false;
    const napper = defineAgent({
      name: "napper",
      async handle(_task, ctx) {
        await ctx.sleep("1h");
        woke = true;
      },
    });
    const { team, next } = createTestTeam({ agents: [napper] });
    const running = team.submit({ agent: "napper", text: "nap" });
    await next("task.started", (event) => event.taskId === running.id);
    expect(team.cancel(running.id, "enough")).toBe(true);
    await expect(running.result).rejects.toMatchObject({ _tag: "Cancelled", reason: "enough" });
    expect(woke).toBe(false);
    team.stop();
  });

  it("drops what a cancelled handler returns later: the same id submitted again gets its own answer", async () => {
    const releases: ((answer: string) => void)[] = [];
    const handlers: Promise<string>[] = [];
    const stubborn = defineAgent({
      name: "stubborn",
      // Ignores its signal: each call answers only when released.
      handle: () => {
        const answer = new Promise<string>((resolve) => releases.push(resolve));
        handlers.push(answer);
        return answer;
      },
    });
    const { team, next, seen } = createTestTeam({ agents: [stubborn] });
    const first = team.submit({ id: "t-again", agent: "stubborn", text: "one" });
    await next("task.started");
    first.cancel();
    await expect(first.result).rejects.toMatchObject({ _tag: "Cancelled" });
    const second = team.submit({ id: "t-again", agent: "stubborn", text: "two" });
    await next("task.started", (event) => seen("task.started").indexOf(event) === 1);
    releases[0]!("stale");
    await handlers[0];
    expect(seen("task.succeeded")).toEqual([]);
    releases[1]!("fresh");
    await expect(second.result).resolves.toBe("fresh");
    team.stop();
  });

  it("cancels a queued task without the agent ever seeing it", async () => {
    const agent = scriptedAgent("worker", [{ hang: true }]);
    const { team, seen } = createTestTeam({ agents: [agent] });
    team.submit({ agent: "worker", text: "blocking" });
    const queued = team.submit({ agent: "worker", text: "never runs" });
    expect(queued.cancel()).toBe(true);
    await expect(queued.result).rejects.toMatchObject({ _tag: "Cancelled" });
    expect(agent.calls).toHaveLength(1);
    expect(seen("task.cancelled").map((event) => event.taskId)).toEqual([queued.id]);
    expect(team.cancel(queued.id)).toBe(false);
    team.stop();
  });

  it("cancelling a task cancels the sub-tasks it is waiting on", async () => {
    const child = scriptedAgent("child", [{ hang: true }]);
    const parent = scriptedAgent("parent", [
      { run: (_task, ctx) => ctx.delegate({ agent: "child", text: "sub" }) },
    ]);
    const { team, next } = createTestTeam({ agents: [parent, child] });
    const run = team.submit({ agent: "parent", text: "top" });
    await next("task.started", (event) => event.agent === "child");
    team.cancel(run.id);
    await expect(run.result).rejects.toMatchObject({ _tag: "Cancelled" });
    expect(child.aborted).toHaveLength(1);
    team.stop();
  });

  it("refuses tasks once the team has stopped, and the run's events still end", async () => {
    const { team } = createTestTeam({ agents: [scriptedAgent("worker", [{ reply: "ok" }])] });
    team.stop();
    const run = team.submit({ agent: "worker", text: "too late" });
    await expect(run.result).rejects.toMatchObject({ _tag: "ShuttingDown" });
    const types: string[] = [];
    for await (const event of run.events) types.push(event.type);
    expect(types).toEqual(["task.failed"]);
  });
});
