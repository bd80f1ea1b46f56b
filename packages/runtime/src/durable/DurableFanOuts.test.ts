// Fan-out joins outlive the process: the join is saved after each branch outcome, and a new
// process resumes it, catches up on branches that finished while it was down, and decides.
import { afterEach, describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { EventBus } from "../events/EventBus.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { type DurableFanOuts, durableFanOuts } from "./DurableFanOuts.ts";
import { startWorker, type Worker } from "./DurableWorker.ts";
import { MemorySnapshotStore } from "./SnapshotStore.ts";

const open: { team?: Team; worker?: Worker; fanOuts?: DurableFanOuts }[] = [];
afterEach(async () => {
  for (const { team, worker, fanOuts } of open.splice(0)) {
    await worker?.stop();
    fanOuts?.close();
    team?.stop();
  }
});

const agents = [
  defineAgent({ name: "fast", handle: (task) => `fast: ${task.text}` }),
  defineAgent({ name: "slow", handle: (task) => `slow: ${task.text}` }),
];

describe("durable fan-outs", () => {
  it("joins branches that run through the queue", async () => {
    const queue = new MemoryWorkQueue();
    const snapshots = new MemorySnapshotStore();
    const team = createSupervisor({ agents });
    const fanOuts = durableFanOuts({ queue, snapshots, bus: team.bus });
    const worker = startWorker({ team, queue, consumer: "a", pollWait: "10ms" });
    open.push({ team, worker, fanOuts });
    const id = await fanOuts.start(["fast", "slow"], { text: "review" }, { join: "all" });
    const result = await fanOuts.result(id);
    expect(result).toMatchObject({ succeeded: true, join: "all" });
    expect([...result.outputs].sort()).toEqual(["fast: review", "slow: review"]);
  });

  it("resumes an open join in a new process and decides it from branches that finished meanwhile", async () => {
    const queue = new MemoryWorkQueue();
    const snapshots = new MemorySnapshotStore();
    // Process 1 starts the fan-out and dies before any branch runs (no worker).
    const bus1 = new EventBus();
    const first = durableFanOuts({ queue, snapshots, bus: bus1 });
    const id = await first.start(["fast", "slow"], { text: "plan" }, { join: { quorum: 2 } });
    first.close();

    // While no joiner runs, a worker elsewhere finishes both branches.
    const team = createSupervisor({ agents });
    const worker = startWorker({ team, queue, consumer: "elsewhere", pollWait: "10ms" });
    open.push({ team, worker });
    const records = async () =>
      Promise.all([`${id}.fast`, `${id}.slow`].map((taskId) => queue.record(taskId)));
    while ((await records()).some((record) => record?.status !== "succeeded"))
      await new Promise((resolve) => setTimeout(resolve, 5));

    // Process 2 resumes the join from its saved snapshot.
    const bus2 = new EventBus();
    const settled = bus2.waitFor((event) => event.type === "fanout.settled");
    const second = durableFanOuts({ queue, snapshots, bus: bus2 });
    open.push({ fanOuts: second });
    expect(await second.resume()).toEqual([id]);
    const result = await second.result(id);
    expect(result).toMatchObject({ fanOutId: id, join: "quorum(2)", succeeded: true });
    expect(await settled).toMatchObject({ fanOutId: id, outcome: "succeeded" });
    expect(await second.resume()).toEqual([]);
  });
});
