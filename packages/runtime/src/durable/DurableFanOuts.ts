// Fan-outs that survive a restart. Each branch is a task on the durable WorkQueue; the join is a
// small XState machine whose persisted snapshot is saved after every branch outcome. A process
// that restarts resumes every open join from its snapshot, catches up on the branches that
// settled while it was down (from the queue's task records), and keeps listening for the rest.
import { assign, createActor, type Snapshot, setup } from "xstate";
import type { EventBus } from "../events/EventBus.ts";
import { type BranchOutcome, decideJoin, type JoinPolicy, joinName } from "../supervisor/joinPolicy.ts";
import { newId, type TaskInput } from "../task/Task.ts";
import type { SnapshotStore } from "./SnapshotStore.ts";
import type { FailureInfo, TaskRecord, WorkQueue } from "./WorkQueue.ts";

interface Branch {
  readonly agent: string;
  readonly taskId: string;
  outcome: BranchOutcome<unknown>;
}

interface JoinContext {
  readonly fanOutId: string;
  readonly join: JoinPolicy;
  readonly branches: Branch[];
  readonly settleOrder: number[];
}

export interface DurableFanOutResult {
  readonly fanOutId: string;
  readonly join: string;
  readonly succeeded: boolean;
  /** Outputs of the branches that satisfied the join, in the order they finished. */
  readonly outputs: readonly unknown[];
  readonly branches: readonly {
    agent: string;
    taskId: string;
    status: BranchOutcome["status"];
    output?: unknown;
    error?: unknown;
  }[];
}

type JoinEvent = { type: "branch.settled"; taskId: string; outcome: BranchOutcome<unknown> };

const decisionOf = (context: JoinContext) =>
  decideJoin(
    context.join,
    context.branches.map((branch) => branch.outcome),
    context.settleOrder,
  );

export const fanOutJoinMachine = setup({
  types: {} as {
    input: JoinContext;
    context: JoinContext;
    events: JoinEvent;
    output: DurableFanOutResult;
  },
  guards: {
    decidedSucceeded: ({ context }) => {
      const decision = decisionOf(context);
      return decision.decided && decision.succeeded;
    },
    decidedFailed: ({ context }) => {
      const decision = decisionOf(context);
      return decision.decided && !decision.succeeded;
    },
  },
  actions: {
    recordOutcome: assign(({ context, event }) => {
      const index = context.branches.findIndex((branch) => branch.taskId === event.taskId);
      if (index < 0 || context.branches[index]!.outcome.status !== "pending") return {};
      const branches = context.branches.map((branch, i) =>
        i === index ? { ...branch, outcome: event.outcome } : branch,
      );
      return { branches, settleOrder: [...context.settleOrder, index] };
    }),
  },
}).createMachine({
  id: "fanOutJoin",
  context: ({ input }) => input,
  initial: "collecting",
  states: {
    collecting: {
      always: [
        { guard: "decidedSucceeded", target: "succeeded" },
        { guard: "decidedFailed", target: "failed" },
      ],
      on: { "branch.settled": { actions: "recordOutcome" } },
    },
    succeeded: { type: "final" },
    failed: { type: "final" },
  },
  output: ({ context }) => {
    const decision = decisionOf(context);
    const winners = decision.decided ? decision.winners : [];
    return {
      fanOutId: context.fanOutId,
      join: joinName(context.join),
      succeeded: decision.decided && decision.succeeded,
      outputs: winners.map((index) => (context.branches[index]!.outcome as { output: unknown }).output),
      branches: context.branches.map(({ agent, taskId, outcome }) => ({ agent, taskId, ...outcome })),
    };
  },
});

const KEY_PREFIX = "fanout/";

/** A branch outcome from a queue record, or undefined while the branch is still open. */
const outcomeOf = (record: TaskRecord | undefined): BranchOutcome<unknown> | undefined => {
  if (record?.status === "succeeded") return { status: "succeeded", output: record.output };
  if (record?.status === "dead")
    return { status: "failed", error: record.error ?? { tag: "Unknown", reason: "dead letter" } };
  if (record?.status === "cancelled")
    return { status: "failed", error: { tag: "Cancelled", reason: "cancelled" } satisfies FailureInfo };
  return undefined;
};

export interface DurableFanOuts {
  /** Enqueue one branch task per agent and start the join; returns the fan-out id. */
  start(
    agents: readonly string[],
    input: Omit<TaskInput, "agent" | "id">,
    options?: { join?: JoinPolicy },
  ): Promise<string>;
  /** The joined result once decided (also after a restart). */
  result(fanOutId: string, signal?: AbortSignal): Promise<DurableFanOutResult>;
  /** Resume every open join saved by an earlier process; returns their ids. */
  resume(): Promise<readonly string[]>;
  close(): void;
}

export const durableFanOuts = (options: {
  queue: WorkQueue;
  snapshots: SnapshotStore;
  bus: EventBus;
}): DurableFanOuts => {
  const { queue, snapshots, bus } = options;
  const joins = new Map<string, ReturnType<typeof createActor<typeof fanOutJoinMachine>>>();
  const branchToFanOut = new Map<string, string>();

  const track = (fanOutId: string, actor: ReturnType<typeof createActor<typeof fanOutJoinMachine>>) => {
    joins.set(fanOutId, actor);
    for (const branch of actor.getSnapshot().context.branches) branchToFanOut.set(branch.taskId, fanOutId);
    actor.subscribe((snapshot) => {
      void snapshots.save(KEY_PREFIX + fanOutId, actor.getPersistedSnapshot());
      if (snapshot.status !== "done" || !snapshot.output) return;
      for (const branch of snapshot.context.branches) branchToFanOut.delete(branch.taskId);
      const winners = snapshot.output.branches.flatMap((branch, index) =>
        snapshot.context.settleOrder.includes(index) && branch.status === "succeeded" ? [branch.taskId] : [],
      );
      bus.publish({
        type: "fanout.settled",
        fanOutId,
        outcome: snapshot.output.succeeded ? "succeeded" : "failed",
        winners,
      });
    });
  };

  const settleBranch = async (taskId: string) => {
    const fanOutId = branchToFanOut.get(taskId);
    const outcome = outcomeOf(await queue.record(taskId));
    if (fanOutId && outcome) joins.get(fanOutId)?.send({ type: "branch.settled", taskId, outcome });
  };

  // A branch's outcome counts once the queue has recorded it (the worker announces that, on this
  // process's bus or, with the Redis mirror, from another host's).
  const unsubscribe = bus.on("task.recorded", (event) => {
    if (branchToFanOut.has(event.taskId)) void settleBranch(event.taskId);
  });

  const catchUp = async (actor: ReturnType<typeof createActor<typeof fanOutJoinMachine>>) => {
    for (const branch of actor.getSnapshot().context.branches) {
      if (branch.outcome.status === "pending") await settleBranch(branch.taskId);
    }
  };

  return {
    async start(agents, input, { join = "all" } = {}) {
      const fanOutId = newId("f");
      const branches: Branch[] = agents.map((agent) => ({
        agent,
        taskId: `${fanOutId}.${agent}`,
        outcome: { status: "pending" },
      }));
      const actor = createActor(fanOutJoinMachine, { input: { fanOutId, join, branches, settleOrder: [] } });
      track(fanOutId, actor);
      actor.start();
      await snapshots.save(KEY_PREFIX + fanOutId, actor.getPersistedSnapshot());
      bus.publish({
        type: "fanout.started",
        fanOutId,
        join: joinName(join),
        branches: branches.map(({ agent, taskId }) => ({ agent, taskId })),
      });
      for (const branch of branches)
        await queue.enqueue({ id: branch.taskId, input: { ...input, agent: branch.agent } });
      return fanOutId;
    },

    async result(fanOutId, signal) {
      const saved = (await snapshots.load(KEY_PREFIX + fanOutId)) as
        | (Snapshot<unknown> & { output?: DurableFanOutResult })
        | undefined;
      if (saved?.status === "done" && saved.output) return saved.output;
      const actor = joins.get(fanOutId);
      if (!actor) throw new Error(`fan-out ${fanOutId} is not known here; resume() it first`);
      return new Promise((resolve, reject) => {
        const subscription = actor.subscribe((snapshot) => {
          if (snapshot.status !== "done" || !snapshot.output) return;
          subscription.unsubscribe();
          resolve(snapshot.output);
        });
        signal?.addEventListener("abort", () => {
          subscription.unsubscribe();
          reject(signal.reason);
        });
        const now = actor.getSnapshot();
        if (now.status === "done" && now.output) resolve(now.output);
      });
    },

    async resume() {
      const resumed: string[] = [];
      for (const key of await snapshots.keys(KEY_PREFIX)) {
        const fanOutId = key.slice(KEY_PREFIX.length);
        const saved = (await snapshots.load(key)) as Snapshot<unknown> | undefined;
        if (!saved || saved.status === "done" || joins.has(fanOutId)) continue;
        const actor = createActor(fanOutJoinMachine, { snapshot: saved, input: undefined as never });
        track(fanOutId, actor);
        actor.start();
        await catchUp(actor);
        resumed.push(fanOutId);
      }
      return resumed;
    },

    close() {
      unsubscribe();
      for (const actor of joins.values()) actor.stop();
      joins.clear();
    },
  };
};
