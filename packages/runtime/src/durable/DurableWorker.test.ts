// The worker between a durable queue and a team: runs and settles leases, retries with backoff,
// buries poison tasks, has a late outcome refused once its lease was taken over, leases only what
// its team can start now, and never starts a waiting task whose lease it lost.

import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock, setup } from "xstate";
import type { AgentMachineInput } from "../agent/AgentContext.ts";
import { defineAgent } from "../agent/defineAgent.ts";
import { errorKinds, type TroupeErrorTag } from "../errors/errorKinds.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import { EventBus } from "../events/EventBus.ts";
import type { Logger } from "../log/Logger.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { cancelTask } from "./cancelTask.ts";
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
    const endings: string[] = [];
    team.bus.subscribe((event) => {
      if (event.type === "task.retrying") endings.push(`🔁 ${event.attempt} ${event.agent}: ${event.reason}`);
      if (event.type === "task.dead_lettered") endings.push(`❌ ${event.attempts}: ${event.error.reason}`);
    });
    await queue.enqueue({ id: "p", input: { text: "x", agent: "poison" } });
    const buried = await team.bus.waitFor((event) => event.type === "task.dead_lettered");
    expect(buried).toMatchObject({ taskId: "p", attempts: 3, error: { tag: "AgentCrashed" } });
    const reason = "agent poison crashed on task p: always broken";
    expect(endings).toEqual([`🔁 2 poison: ${reason}`, `🔁 3 poison: ${reason}`, `❌ 3: ${reason}`]);
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
    worker = startWorker({ team, queue, consumer: "w", pollWait: "10ms", backoff: { base: "10ms" } });
    await queue.enqueue({ id: "lost", input: { text: "x", agent: "nobody" } });
    const buried = await team.bus.waitFor((event) => event.type === "task.dead_lettered");
    expect(buried).toMatchObject({ attempts: 1, error: { tag: "NoRoute" } });
  });

  it("retries a failure exactly when its error's tag is transient, whatever the tag", async () => {
    const tags = (Object.keys(errorKinds) as TroupeErrorTag[]).filter(
      (tag) => tag !== "Cancelled" && tag !== "ShuttingDown", // an outcome of their own, not a failure
    );
    let failWith: TroupeErrorTag = "ModelUnavailable";
    const failing = defineAgent({
      name: "failing",
      breaker: { maxFailures: 1_000 },
      handle: () => {
        throw new TroupeError(failWith, `failed with ${failWith}`);
      },
    });
    team = createSupervisor({ agents: [failing] });
    const queue = new MemoryWorkQueue();
    worker = startWorker({ team, queue, consumer: "w", maxAttempts: 2, backoff: { base: "1ms" } });
    // Every tag once, in order: the property is exhaustive, so it needs no sampling.
    for (const [run, tag] of tags.entries()) {
      failWith = tag;
      const id = `t${run}`;
      const buried = team.bus.waitFor((event) => event.type === "task.dead_lettered" && event.taskId === id);
      await queue.enqueue({ id, input: { text: "x", agent: "failing" } });
      expect(await buried, tag).toMatchObject({
        attempts: errorKinds[tag] === "transient" ? 2 : 1,
        error: { tag },
      });
    }
  });

  it("keeps what comes while the team is escalated in the queue, and runs it once the team restarted", async () => {
    const queue = new MemoryWorkQueue();
    const clock = new SimulatedClock();
    let crashes = 0;
    const crashing = defineAgent({
      name: "crashing",
      handle: () => {
        crashes += 1;
        if (crashes === 1) throw new Error("a bug");
        return "fine now";
      },
    });
    team = createSupervisor({
      agents: [crashing, echo],
      clock,
      bus: new EventBus({ clock }),
      restart: { intensity: 0, escalation: { restartAfter: "1s" } },
    });
    worker = startWorker({ team, queue, consumer: "w", pollWait: "10ms" });
    const escalated = team.bus.waitFor((event) => event.type === "supervisor.escalated");
    await queue.enqueue({ id: "crash", input: { text: "x", agent: "crashing" } });
    const { restartInMs } = await escalated;
    const seen: string[] = [];
    team.bus.subscribe((event) => {
      if (event.type === "supervisor.restarted") seen.push("restarted");
      if (event.type === "task.queued" && event.taskId === "waits") seen.push("waits queued on the team");
    });
    const answered = team.bus.waitFor((event) => event.type === "task.recorded" && event.taskId === "waits");
    await queue.enqueue({ id: "waits", input: { text: "hi", agent: "echo" } });
    clock.increment(restartInMs!);
    await answered;
    // It waited in the queue (or held by a lease that was already waiting for work as the team
    // escalated) until the team was back, and ran on its first delivery.
    expect(seen).toEqual(["restarted", "waits queued on the team"]);
    expect(await queue.record("waits")).toMatchObject({
      status: "succeeded",
      output: "echo hi",
      attempts: 1,
    });
    await expect.poll(() => queue.record("crash")).toMatchObject({ status: "succeeded", output: "fine now" });
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

/** An agent whose tasks each wait for one `open()` (given before or while they run). */
const gated = () => {
  let permits = 0;
  const waiting: (() => void)[] = [];
  const agent = defineAgent({
    name: "gated",
    handle: async (task) => {
      if (permits > 0) permits -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      return `done ${task.text}`;
    },
  });
  const open = () => {
    const next = waiting.shift();
    if (next) next();
    else permits += 1;
  };
  return { agent, open };
};

describe("DurableWorker lease sizing", () => {
  it("leases one task per idle agent, so a busy agent's tasks stay in the queue for other hosts", async () => {
    const queue = new MemoryWorkQueue();
    const slow = gated();
    team = createSupervisor({ agents: [slow.agent, echo] });
    const leased: unknown[] = [];
    team.bus.on("task.leased", (event) => leased.push(event));
    for (const id of ["g-1", "g-2", "g-3", "g-4"])
      await queue.enqueue({ id, input: { text: id, agent: "gated" } });
    worker = startWorker({ team, queue, consumer: "host-a", pollWait: "10ms" });
    // g-1 runs on `gated`; g-2 was leased for the idle echo's room and waits; the rest stay queued.
    await expect.poll(() => queue.stats()).toMatchObject({ leased: 2, ready: 2 });
    expect(worker.waiting).toBe(1);
    expect(leased).toEqual([
      expect.objectContaining({ taskId: "g-1", consumer: "host-a", attempt: 1 }),
      expect.objectContaining({ taskId: "g-2", consumer: "host-a", attempt: 1 }),
    ]);
    expect(team.idleAgents()).toBe(1);
    expect(team.startsNow({ text: "x", agent: "gated" })).toBe(false);
    expect(team.startsNow({ text: "x", agent: "echo" })).toBe(true);
    const succeeded = ["g-1", "g-2", "g-3", "g-4"].map((id) =>
      team.bus.waitFor((event) => event.type === "task.succeeded" && event.taskId === id),
    );
    for (let done = 0; done < 4; done += 1) slow.open();
    await Promise.all(succeeded);
    await expect.poll(() => queue.stats()).toMatchObject({ ready: 0, leased: 0 });
  });

  it("does not start a waiting task whose lease was taken over meanwhile", async () => {
    const queue = new MemoryWorkQueue({ leaseMs: 50 });
    const slow = gated();
    const logs: string[] = [];
    const logger: Logger = { log: (_level, message) => logs.push(message) };
    team = createSupervisor({ agents: [slow.agent, echo] });
    await queue.enqueue({ id: "first", input: { text: "1", agent: "gated" } });
    await queue.enqueue({ id: "second", input: { text: "2", agent: "gated" } });
    // No renewals: the leases run out while `first` runs, as in a process paused past its lease.
    worker = startWorker({ team, queue, consumer: "paused", renewEvery: "1h", pollWait: "10ms", logger });
    await team.bus.waitFor((event) => event.type === "task.started" && event.taskId === "first");
    await expect.poll(() => worker!.waiting).toBe(1);
    const started: string[] = [];
    team.bus.subscribe((event) => {
      if (event.type === "task.started") started.push(event.taskId);
    });
    // Another worker takes both over and finishes them.
    const rescued: string[] = [];
    while (!rescued.includes("second"))
      for (const lease of await queue.lease("rescuer", { max: 2, waitMs: 20 })) {
        rescued.push(lease.taskId);
        await queue.finish(lease, { status: "succeeded", output: "rescued" });
      }
    slow.open();
    await expect.poll(() => worker!.waiting).toBe(0);
    expect(logs).toContain("a leased task was taken over before it started; not starting it here");
    expect(started).toEqual([]);
    expect(team.status().agents.find((agent) => agent.name === "gated")).toMatchObject({ task: undefined });
  });

  it("cancels a task it leased that waits for its agent", async () => {
    const queue = new MemoryWorkQueue();
    const slow = gated();
    team = createSupervisor({ agents: [slow.agent, echo] });
    await queue.enqueue({ id: "running", input: { text: "1", agent: "gated" } });
    await queue.enqueue({ id: "waiting", input: { text: "2", agent: "gated" } });
    worker = startWorker({ team, queue, consumer: "w", pollWait: "10ms" });
    await expect.poll(() => worker!.waiting).toBe(1);
    const cancelled = team.bus.waitFor((event) => event.type === "task.cancelled");
    expect(await cancelTask({ team, queue, bus: team.bus, worker }, "waiting", "not needed")).toBe(
      "withdrawn",
    );
    expect(await cancelled).toMatchObject({ taskId: "waiting", reason: "not needed" });
    expect(await queue.record("waiting")).toMatchObject({
      status: "cancelled",
      error: { tag: "Cancelled", reason: "not needed" },
    });
    expect(worker.waiting).toBe(0);
    slow.open();
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
