// A machine-form agent: a release as a statechart (checking → awaitingApproval → released), its
// check a named step that gets the task's context, a typed APPROVE event sent through the run, and a
// resume: the first team "dies" while the release awaits approval; a second team picks the saved run
// up at that state, and the check, which had finished, does not run again.
import {
  type AgentMachineInput,
  createSupervisor,
  defineAgent,
  MemorySnapshotStore,
  taskStep,
} from "@troupe/runtime";
import { assign, type EventFrom, setup } from "xstate";

let checksRun = 0;
const runChecks = taskStep<string, { version: string }>(async ({ input, ctx }) => {
  checksRun += 1;
  ctx.progress(`checking ${input.version}`); // a real step calls ctx.llm or a tool, passing `signal`
  return `${input.version}: 12 checks passed`;
});
const release = setup({
  types: {} as {
    input: AgentMachineInput;
    context: { version: string; checks: string; approvedBy: string | null };
    events: { type: "APPROVE"; by: string } | { type: "REJECT" };
    output: { released: boolean; approvedBy: string | null; checks: string };
  },
  actors: { runChecks },
}).createMachine({
  context: ({ input }) => ({ version: input.task.text, checks: "", approvedBy: null }),
  initial: "checking",
  states: {
    checking: {
      invoke: {
        src: "runChecks",
        input: ({ context }) => ({ version: context.version }),
        onDone: { target: "awaitingApproval", actions: assign({ checks: ({ event }) => event.output }) },
      },
    },
    awaitingApproval: {
      on: {
        APPROVE: { target: "released", actions: assign({ approvedBy: ({ event }) => event.by }) },
        REJECT: "rejected",
      },
    },
    released: { type: "final" },
    rejected: { type: "final" },
  },
  output: ({ context }) => ({
    released: context.approvedBy !== null,
    approvedBy: context.approvedBy,
    checks: context.checks,
  }),
});
const releaser = defineAgent({ name: "releaser", capabilities: ["release"], machine: release });

/** The team's snapshot store, telling this story when the release is saved awaiting approval. */
const awaiting = Promise.withResolvers<unknown>();
class WatchedSnapshots extends MemorySnapshotStore {
  override async save(key: string, snapshot: unknown): Promise<void> {
    await super.save(key, snapshot);
    if ((snapshot as { value?: unknown }).value === "awaitingApproval") awaiting.resolve(snapshot);
  }
}

const snapshots = new WatchedSnapshots();
const first = createSupervisor({ agents: [releaser], snapshots });
first.submit({ id: "release-v2", agent: "releaser", text: "v2" });
const saved = await awaiting.promise;
console.log(`first team: saved awaiting approval after ${checksRun} check run`);
first.stop(); // the process "dies" with the release awaiting approval

const second = createSupervisor({ agents: [releaser], snapshots });
const run = second.submit({ id: "release-v2", agent: "releaser", text: "v2" }, { snapshot: saved });
const approval: EventFrom<typeof release> = { type: "APPROVE", by: "ana" }; // typed by the machine
for await (const event of run.events) {
  if (event.type === "task.started") second.send(run.id, approval);
  if (event.type === "task.succeeded") break;
}
console.log("second team:", await run.result, `— checks run in all: ${checksRun}`);
await second.drain();
