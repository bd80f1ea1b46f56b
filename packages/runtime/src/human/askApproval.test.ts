import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import { createTestTeam, flush } from "../testing/index.ts";
import { type ApprovalAnswer, type ApprovalRequest, bindAction } from "./Approval.ts";
import { canonicalJson } from "./canonicalJson.ts";

/** A gateway that records each request and lets the test answer it. */
const scriptedGateway = () => {
  const requests: ApprovalRequest[] = [];
  const waiting: ((answer: ApprovalAnswer) => void)[] = [];
  const gateway: HumanGateway = {
    ask: async () => "unused",
    approve: (request) =>
      new Promise((resolve) => {
        requests.push(request);
        waiting.push(resolve);
      }),
  };
  const answer = (answer: Partial<ApprovalAnswer>) => {
    const request = requests.at(-1)!;
    waiting.shift()!({ hash: request.hash, approved: true, by: "ana", ...answer });
  };
  return { gateway, requests, answer };
};

const deploy = { kind: "deploy", service: "api", version: "7.1.0" };

const deployer = defineAgent({
  name: "deployer",
  async handle(_task, ctx) {
    const approval = await ctx.askApproval(deploy, { expiresIn: "5m" });
    return approval.approved
      ? `deployed, approved by ${approval.by}`
      : `not deployed: ${approval.by} said no`;
  },
});

describe("canonical JSON and the action's hash", () => {
  it("sorts keys at every depth, so the same action always has the same hash", () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: "x" })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
    expect(bindAction({ b: 1, a: 2 }).hash).toBe(bindAction({ a: 2, b: 1 }).hash);
    expect(bindAction({ a: 2, b: 1 }).hash).not.toBe(bindAction({ a: 2, b: 2 }).hash);
    expect(bindAction(deploy).hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses what JSON cannot carry, naming where it is", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const [value, where] of [
      [{ run: () => 1 }, "$.run"],
      [{ n: Number.NaN }, "$.n"],
      [cycle, "$.self"],
      [[1n], "$[0]"],
    ] as const) {
      let error: unknown;
      try {
        canonicalJson(value);
      } catch (caught) {
        error = caught;
      }
      expect(isTroupeError(error, "InvalidAction")).toBe(true);
      expect((error as Error).message).toContain(where);
    }
  });
});

describe("ctx.askApproval", () => {
  it("asks the gateway with the exact action and its hash, shows ✋, and returns the decision", async () => {
    const { gateway, requests, answer } = scriptedGateway();
    const { team, next, seen } = createTestTeam({ agents: [deployer], human: gateway });
    const run = team.submit({ agent: "deployer", text: "ship" });
    const waiting = await next("task.awaiting_human");
    expect(team.status().agents[0]?.state).toBe("awaiting_human");
    await flush();
    const [request] = requests;
    expect(request?.action).toEqual(deploy);
    expect(request?.hash).toBe(bindAction(deploy).hash);
    expect(request?.expiresAt).toBe(5 * 60_000);
    expect(waiting.question).toContain(`#${request?.hash.slice(0, 8)}`);
    answer({ approved: true, by: "ana" });
    await expect(run.result).resolves.toBe("deployed, approved by ana");
    expect(seen("task.resumed")).toHaveLength(1);
    expect(seen("task.approval")).toMatchObject([
      { agent: "deployer", hash: bindAction(deploy).hash, decision: "approved", by: "ana" },
    ]);
    team.stop();
  });

  it("resolves a denial as approved: false", async () => {
    const { gateway, answer } = scriptedGateway();
    const { team, next } = createTestTeam({ agents: [deployer], human: gateway });
    const run = team.submit({ agent: "deployer", text: "ship" });
    await next("task.awaiting_human");
    await flush();
    answer({ approved: false, by: "bo" });
    await expect(run.result).resolves.toBe("not deployed: bo said no");
    team.stop();
  });

  it("refuses an answer bound to another action's hash", async () => {
    const { gateway, answer } = scriptedGateway();
    const { team, next } = createTestTeam({ agents: [deployer], human: gateway });
    const run = team.submit({ agent: "deployer", text: "ship" });
    await next("task.awaiting_human");
    await flush();
    answer({ hash: bindAction({ ...deploy, version: "6.0.0" }).hash });
    const error = await run.result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "ApprovalMismatch")).toBe(true);
    expect((error as Error).message).toContain(`#${bindAction(deploy).shortHash}`);
    team.stop();
  });

  it("expires on the team's clock: the wait ends with ApprovalExpired, and a late answer changes nothing", async () => {
    const { gateway, answer } = scriptedGateway();
    const { team, next, advance, seen } = createTestTeam({ agents: [deployer], human: gateway });
    const run = team.submit({ agent: "deployer", text: "ship" });
    await next("task.awaiting_human");
    await advance(5 * 60_000 - 1);
    expect(team.status().agents[0]?.state).toBe("awaiting_human");
    await advance(2);
    const error = await run.result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "ApprovalExpired")).toBe(true);
    expect((error as Error).message).toMatch(/expired .* before an answer came/);
    expect(seen("task.approval").map((event) => event.decision)).toEqual(["expired"]);
    answer({ approved: true }); // too late: the task is already over
    await flush();
    team.stop();
  });

  it("fails clearly when the gateway cannot answer approvals", async () => {
    const { team } = createTestTeam({ agents: [deployer], human: { ask: async () => "yes" } });
    const error = await team
      .submit({ agent: "deployer", text: "ship" })
      .result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "InvalidCommand")).toBe(true);
    expect((error as Error).message).toContain("no human gateway that answers approvals");
    team.stop();
  });
});

describe("approvals across a restart", () => {
  it("asks a pending approval again (same expiry), reuses a decision, and forgets both once the task ends", async () => {
    const snapshots = new MemorySnapshotStore();
    const first = scriptedGateway();
    const before = createTestTeam({ agents: [deployer], snapshots, human: first.gateway });
    before.team.submit({ id: "ship-1", agent: "deployer", text: "ship" });
    await before.next("task.awaiting_human");
    await flush();
    expect(await snapshots.keys("approval/ship-1/")).toHaveLength(1);
    before.team.stop(); // the process dies while the approval is pending

    const second = scriptedGateway();
    const after = createTestTeam({ agents: [deployer], snapshots, human: second.gateway });
    const rerun = after.team.submit({ id: "ship-1", agent: "deployer", text: "ship" });
    await after.next("task.awaiting_human");
    await flush();
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0]?.expiresAt).toBe(first.requests[0]?.expiresAt);
    second.answer({ approved: true, by: "ana" });
    await expect(rerun.result).resolves.toBe("deployed, approved by ana");
    await flush();
    expect(await snapshots.keys("approval/ship-1/")).toEqual([]);
    after.team.stop();
  });

  it("gives a task run again after a crash the decision it already had, without asking twice", async () => {
    const snapshots = new MemorySnapshotStore();
    let crash = true;
    const crashy = defineAgent({
      name: "deployer",
      async handle(_task, ctx) {
        const approval = await ctx.askApproval(deploy);
        if (crash) return new Promise(() => {}); // the process dies here, after the decision
        return `approved: ${approval.approved} by ${approval.by}`;
      },
    });
    const first = scriptedGateway();
    const before = createTestTeam({ agents: [crashy], snapshots, human: first.gateway });
    before.team.submit({ id: "ship-2", agent: "deployer", text: "ship" });
    await before.next("task.awaiting_human");
    await flush();
    first.answer({ approved: true, by: "ana" });
    await before.next("task.resumed");
    await flush();
    before.team.stop();

    crash = false;
    const second = scriptedGateway();
    const after = createTestTeam({ agents: [crashy], snapshots, human: second.gateway });
    await expect(after.team.submit({ id: "ship-2", agent: "deployer", text: "ship" }).result).resolves.toBe(
      "approved: true by ana",
    );
    expect(second.requests).toHaveLength(0);
    after.team.stop();
  });
});
