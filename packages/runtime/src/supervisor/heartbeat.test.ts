// Heartbeat deadlines: a silent agent is declared hung, its task cancelled through its signal and
// reassigned; after the bounded attempts the task fails with a clear reason.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

describe("heartbeat deadlines", () => {
  it("cancels a hung task through its signal and reassigns it, and the reassigned task succeeds", async () => {
    const agent = scriptedAgent("worker", [{ hang: true }, { reply: "finished" }], {
      heartbeat: { deadline: "10s" },
    });
    const { team, advance, next } = createTestTeam({ agents: [agent] });
    const run = team.submit({ agent: "worker", text: "job" });
    await next("task.started", (event) => event.taskId === run.id);
    await advance(10_000);
    const missed = await next("heartbeat.missed");
    expect(missed).toMatchObject({ agent: "worker", taskId: run.id, deadlineMs: 10_000 });
    expect(agent.aborted.map((task) => task.id)).toEqual([run.id]);
    await expect(run.result).resolves.toBe("finished");
    expect(agent.calls.map((task) => task.attempt)).toEqual([1, 2]);
    const kinds = [];
    for await (const event of run.events) kinds.push(event.type);
    expect(kinds).toEqual([
      "task.queued",
      "task.routed",
      "task.claimed",
      "task.started",
      "task.retrying",
      "task.routed",
      "task.claimed",
      "task.started",
      "task.succeeded",
    ]);
    team.stop();
  });

  it("keeps a task alive while it heartbeats, however long it runs", async () => {
    let beat: (() => void) | undefined;
    let finish: (() => void) | undefined;
    const agent = scriptedAgent(
      "steady",
      [
        {
          run: (_task, ctx) =>
            new Promise((resolve) => {
              beat = () => ctx.heartbeat();
              finish = () => resolve("steady done");
            }),
        },
      ],
      { heartbeat: { deadline: "10s" } },
    );
    const { team, advance, seen } = createTestTeam({ agents: [agent] });
    const run = team.submit({ agent: "steady", text: "long job" });
    for (let i = 0; i < 5; i += 1) {
      await advance(8_000);
      beat?.();
    }
    finish?.();
    await expect(run.result).resolves.toBe("steady done");
    expect(seen("heartbeat.missed")).toHaveLength(0);
    team.stop();
  });

  it("fails the task with a Hung reason after the bounded attempts", async () => {
    const agent = scriptedAgent("stuck", [{ hang: true }], { heartbeat: { deadline: "5s", attempts: 2 } });
    const { team, advance } = createTestTeam({ agents: [agent] });
    const run = team.submit({ agent: "stuck", text: "never" });
    await advance(5_000);
    await advance(5_000);
    const error = await run.result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "Hung")).toBe(true);
    expect((error as Error).message).toMatch(/stuck missed its heartbeat deadline of 5\.0s on 2 attempt/);
    expect(agent.calls).toHaveLength(2);
    team.stop();
  });

  it("does not count waiting for a human as hanging", async () => {
    let answer: ((text: string) => void) | undefined;
    const agent = scriptedAgent(
      "asker",
      [{ run: async (_task, ctx) => `heard ${await ctx.askHuman("ok?")}` }],
      {
        heartbeat: { deadline: "5s" },
      },
    );
    const { team, advance, next, seen } = createTestTeam({
      agents: [agent],
      human: {
        ask: () =>
          new Promise((resolve) => {
            answer = resolve;
          }),
      },
    });
    const run = team.submit({ agent: "asker", text: "ask" });
    await next("task.awaiting_human");
    expect(team.status().agents[0]?.state).toBe("awaiting_human");
    await advance(60_000);
    answer?.("yes");
    await expect(run.result).resolves.toBe("heard yes");
    expect(seen("heartbeat.missed")).toHaveLength(0);
    expect(seen("task.resumed")).toHaveLength(1);
    team.stop();
  });
});
