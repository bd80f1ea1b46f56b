// The worker between a durable queue and a team: runs and settles leases, retries with backoff,
// buries poison tasks, and has a late outcome refused once its lease was taken over.

import { afterEach, describe, expect, it } from "vitest";
import { setup } from "xstate";
import type { AgentMachineInput } from "../agent/AgentContext.ts";
import { defineAgent } from "../agent/defineAgent.ts";
import { EventBus } from "../events/EventBus.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { backoffDelay, startWorker, type Worker } from "./DurableWorker.ts";
import { MemorySnapshotStore } from "./SnapshotStore.ts";

let team: Team;
let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  team.stop();
});

const echo = defineAgent({ name: "echo", handle: (task) => `echo ${task.text}` });

describe("DurableWorker", () => {
  it("runs queued tasks on the team and records their outputs", async () => {
    const queue = new MemoryWorkQueue();
    team = createSupervisor({ agents: [echo] });
    worker = startWorker({ team, queue, consumer: "host-a", pollWait: "20ms" });
    const succeeded = ["a", "b", "c"].map((id) =>
      team.bus.waitFor((event) => event.type === "task.succeeded" && event.taskId === id),
    );
    for (const id of ["a", "b", "c"]) await queue.enqueue({ id, input: { text: id, agent: "echo" } });
    await Promise.all(succeeded);
    await worker.stop();
    expect(await queue.record("b")).toMatchObject({ status: "succeeded", output: "echo b", attempts: 1 });
  });

  it("retries a failing task with growing backoff, then buries it after maxAttempts", async () => {
    const queue = new MemoryWorkQueue();
    const attemptsAt: number[] = [];
    const poison = defineAgent({
      name: "poison",
      handle: () => {
        attemptsAt.push(Date.now());
        throw new Error("always broken");
      },
    });
    team = createSupervisor({ agents: [poison], restart: { intensity: 100 } });
    worker = startWorker({
      team,
      queue,
      consumer: "w",
      maxAttempts: 3,
      backoff: { base: "40ms", max: "1s" },
      pollWait: "10ms",
    });
    await queue.enqueue({ id: "p", input: { text: "x", agent: "poison" } });
    const buried = await team.bus.waitFor((event) => event.type === "task.dead_lettered");
    expect(buried).toMatchObject({ taskId: "p", attempts: 3, error: { tag: "AgentCrashed" } });
    expect(attemptsAt).toHaveLength(3);
    // Equal jitter: the n-th wait is at least half of base · 2^(n−1).
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(20);
    expect(attemptsAt[2]! - attemptsAt[1]!).toBeGreaterThanOrEqual(40);
    expect(await queue.deadLetters()).toEqual([expect.objectContaining({ taskId: "p", attempts: 3 })]);
  });

  it("records a failure's reason with the credentials of any URL in it masked", async () => {
    const queue = new MemoryWorkQueue();
    const leaky = defineAgent({
      name: "leaky",
      handle: () => {
        throw new Error("POST https://ops:hunter2-pw@hooks.example/x?token=t0k3n-value failed");
      },
    });
    team = createSupervisor({ agents: [leaky], restart: { intensity: 100 } });
    worker = startWorker({ team, queue, consumer: "w", maxAttempts: 1, pollWait: "10ms" });
    const events: unknown[] = [];
    team.bus.subscribe((event) => events.push(event));
    await queue.enqueue({ id: "l", input: { text: "x", agent: "leaky" } });
    await team.bus.waitFor((event) => event.type === "task.dead_lettered");
    const recorded = JSON.stringify([await queue.record("l"), await queue.deadLetters(), events]);
    expect(recorded).toContain("https://ops:***@hooks.example/x?token=***");
    expect(recorded).not.toContain("hunter2-pw");
    expect(recorded).not.toContain("t0k3n-value");
  });

  it("buries a task that can never succeed at once", async () => {
    const queue = new MemoryWorkQueue();
    team = createSupervisor({ agents: [echo] });
    worker = startWorker({ team, queue, consumer: "w", pollWait: "10ms" });
    await queue.enqueue({ id: "lost", input: { text: "x", agent: "nobody" } });
    const buried = await team.bus.waitFor((event) => event.type === "task.dead_lettered");
    expect(buried).toMatchObject({ attempts: 1, error: { tag: "NoRoute" } });
  });

  it("has its outcome refused when its lease was taken over while the task ran", async () => {
    const queue = new MemoryWorkQueue({ leaseMs: 50 });
    let release: (() => void) | undefined;
    const slow = defineAgent({
      name: "slow",
      handle: () =>
        new Promise<string>((resolve) => {
          release = () => resolve("late");
        }),
    });
    team = createSupervisor({ agents: [slow], bus: new EventBus() });
    worker = startWorker({ team, queue, consumer: "paused", renewEvery: "1h", pollWait: "10ms" });
    await queue.enqueue({ id: "s", input: { text: "x", agent: "slow" } });
    await team.bus.waitFor((event) => event.type === "task.started");
    let taken: Awaited<ReturnType<MemoryWorkQueue["lease"]>> = [];
    while (taken.length === 0) taken = await queue.lease("rescuer", { max: 1, waitMs: 20 });
    release?.();
    const refused = await team.bus.waitFor((event) => event.type === "task.result_refused");
    expect(refused).toMatchObject({ taskId: "s", fence: 1 });
    expect(await queue.finish(taken[0]!, { status: "succeeded", output: "rescued" })).toBe("accepted");
    expect(await queue.record("s")).toMatchObject({ status: "succeeded", output: "rescued" });
  });
});

describe("DurableWorker resuming saved runs", () => {
  it("resumes a machine agent's saved run when its task is delivered again after a crash", async () => {
    const queue = new MemoryWorkQueue({ leaseMs: 100 });
    const snapshots = new MemorySnapshotStore();
    const approval = defineAgent({
      name: "approval",
      machine: setup({
        types: {} as { input: AgentMachineInput; context: { asked: string }; events: { type: "APPROVE" } },
      }).createMachine({
        context: ({ input }) => ({ asked: input.task.text }),
        initial: "waiting",
        states: { waiting: { on: { APPROVE: "approved" } }, approved: { type: "final" } },
        output: ({ context }) => `approved ${context.asked}`,
      }),
    });
    // The first host leases the task, starts it, and dies without settling it.
    const crashed = createSupervisor({ agents: [approval], snapshots });
    await queue.enqueue({ id: "deploy-1", input: { text: "deploy", agent: "approval" } });
    const [lease] = await queue.lease("host-a", { max: 1, waitMs: 0 });
    crashed.submit({ ...lease!.input, id: lease!.taskId });
    while ((await snapshots.load("deploy-1")) === undefined)
      await new Promise((resolve) => setImmediate(resolve));
    crashed.stop();

    team = createSupervisor({ agents: [approval], snapshots });
    const started = team.bus.waitFor((event) => event.type === "task.started" && event.taskId === "deploy-1");
    worker = startWorker({
      team,
      queue,
      consumer: "host-b",
      snapshots,
      pollWait: "10ms",
      renewEvery: "20ms",
    });
    await started;
    const succeeded = team.bus.waitFor(
      (event) => event.type === "task.succeeded" && event.taskId === "deploy-1",
    );
    team.send("deploy-1", { type: "APPROVE" });
    await succeeded;
    await worker.stop();
    expect(await queue.record("deploy-1")).toMatchObject({
      status: "succeeded",
      output: "approved deploy",
      attempts: 2,
    });
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap, with equal jitter", () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400);
    expect(backoffDelay(20, 100, 1_000, () => 0.5)).toBe(750);
  });
});
