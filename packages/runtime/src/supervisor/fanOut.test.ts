// Fan-out: one request to several agents in parallel, joined by all / any / first / quorum(n),
// each branch with its own deadline, losers cancelled through their signal.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, type ScriptStep, scriptedAgent } from "../testing/index.ts";

/** An agent whose one task settles when the test says so. */
const controlled = (name: string) => {
  let settle: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined;
  const step: ScriptStep = {
    run: (_task, ctx) =>
      new Promise((resolve, reject) => {
        settle = { resolve, reject };
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
      }),
  };
  const agent = scriptedAgent(name, [step]);
  return {
    agent,
    succeed: (value: unknown) => settle?.resolve(value),
    fail: (message: string) => settle?.reject(new Error(message)),
  };
};

const setupThree = () => {
  const [a, b, c] = ["a", "b", "c"].map(controlled) as [
    ReturnType<typeof controlled>,
    ReturnType<typeof controlled>,
    ReturnType<typeof controlled>,
  ];
  const test = createTestTeam({ agents: [a.agent, b.agent, c.agent], restart: { intensity: 100 } });
  return { a, b, c, ...test };
};

const started = async (test: ReturnType<typeof setupThree>, count: number) => {
  while (test.seen("task.started").length < count)
    await test.next("task.started", () => test.seen("task.started").length >= count, { includePast: false });
};

describe("fan-out", () => {
  it("all: waits for every branch and returns their outputs", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: "all" });
    await started(test, 3);
    test.c.succeed("C");
    test.a.succeed("A");
    test.b.succeed("B");
    const result = await joined;
    expect(result.outputs).toEqual(["A", "B", "C"]);
    expect(result.branches.map((branch) => branch.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    test.team.stop();
  });

  it("all: fails as soon as one branch fails and cancels the others", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: "all" });
    await started(test, 3);
    test.b.fail("b is wrong");
    const error = await joined.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "FanOutFailed")).toBe(true);
    expect((error as Error).message).toMatch(/b: agent b crashed.*b is wrong/);
    expect(test.a.agent.aborted).toHaveLength(1);
    expect(test.c.agent.aborted).toHaveLength(1);
    test.team.stop();
  });

  it("any: the first success wins even after a failure; the rest are cancelled", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: "any" });
    await started(test, 3);
    test.a.fail("a failed");
    test.c.succeed("C");
    const result = await joined;
    expect(result.outputs).toEqual(["C"]);
    expect(test.b.agent.aborted).toHaveLength(1);
    expect(result.branches.find((branch) => branch.agent === "b")?.status).toBe("cancelled");
    test.team.stop();
  });

  it("first: the first branch to settle decides, even when it fails", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: "first" });
    await started(test, 3);
    test.b.fail("b first");
    await expect(joined).rejects.toMatchObject({ _tag: "FanOutFailed" });
    expect(test.a.agent.aborted).toHaveLength(1);
    expect(test.c.agent.aborted).toHaveLength(1);
    test.team.stop();
  });

  it("quorum(2): resolves with two successes and cancels the third", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: { quorum: 2 } });
    await started(test, 3);
    test.b.succeed("B");
    test.a.succeed("A");
    const result = await joined;
    expect(result.join).toBe("quorum(2)");
    expect(result.outputs).toEqual(["B", "A"]);
    expect(test.c.agent.aborted).toHaveLength(1);
    test.team.stop();
  });

  it("quorum(2): fails once two branches have failed", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: { quorum: 2 } });
    await started(test, 3);
    test.a.fail("no");
    test.b.fail("no");
    await expect(joined).rejects.toMatchObject({ _tag: "FanOutFailed" });
    expect(test.c.agent.aborted).toHaveLength(1);
    test.team.stop();
  });

  it("a branch past its own deadline is cancelled with Timeout while the others still count", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: { quorum: 2 }, deadline: "5s" });
    await started(test, 3);
    test.a.succeed("A");
    test.b.succeed("B");
    const result = await joined;
    expect(result.outputs).toEqual(["A", "B"]);

    const slow = setupThree();
    const timed = slow.team
      .fanOut(["a", "b", "c"], "question", { join: "all", deadline: "5s" })
      .catch((caught: unknown) => caught);
    await started(slow, 3);
    slow.a.succeed("A");
    slow.b.succeed("B");
    await slow.advance(5_000);
    const error = await timed;
    expect(isTroupeError(error, "FanOutFailed")).toBe(true);
    expect((error as Error).message).toMatch(/c: task .* passed its deadline/);
    expect(slow.c.agent.aborted).toHaveLength(1);
    test.team.stop();
    slow.team.stop();
  });

  it("cancelling the fan-out through its signal cancels every branch", async () => {
    const test = setupThree();
    const controller = new AbortController();
    const joined = test.team.fanOut(["a", "b", "c"], "question", { join: "all", signal: controller.signal });
    await started(test, 3);
    controller.abort();
    await expect(joined).rejects.toMatchObject({ _tag: "Cancelled" });
    expect([test.a, test.b, test.c].map((agent) => agent.agent.aborted.length)).toEqual([1, 1, 1]);
    expect(test.seen("fanout.settled")[0]?.outcome).toBe("cancelled");
    test.team.stop();
  });

  it("all: a branch that fails on routing cancels every other branch before any is handed over", async () => {
    const test = setupThree();
    const joined = test.team.fanOut(["a", "nobody", "c"], "question", { join: "all" });
    const error = await joined.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "FanOutFailed")).toBe(true);
    const { branches } = (error as { data: { branches: { agent: string; status: string }[] } }).data;
    expect(branches.map((branch) => [branch.agent, branch.status])).toEqual([
      ["a", "cancelled"],
      ["nobody", "failed"],
      ["c", "cancelled"],
    ]);
    expect(test.seen("task.cancelled")).toHaveLength(2);
    expect(test.seen("task.started")).toEqual([]);
    expect([test.a.agent.calls, test.c.agent.calls]).toEqual([[], []]);
    test.team.stop();
  });

  it("refuses a quorum larger than the number of branches", async () => {
    const test = setupThree();
    await expect(test.team.fanOut(["a", "b"], "q", { join: { quorum: 3 } })).rejects.toMatchObject({
      _tag: "InvalidCommand",
    });
    test.team.stop();
  });
});
