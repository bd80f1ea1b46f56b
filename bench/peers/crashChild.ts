// One process of the W5 scenario (kill -9 mid-run, then restart), for one system:
//   node crashChild.ts <troupe|langgraph|mastra> <start|restart|by-hand> <folder>
// `start` begins a three-step run; `restart` is only the program's normal startup, to see whether
// the run resumes by itself; `by-hand` is the system's documented way to recover a run. Each step
// appends `start <step>` and `done <step>` to <folder>/steps.log (synchronously, so a kill loses
// nothing), and takes STEP_MS so the parent can kill the process inside the second step.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const STEP_MS = 300;
export const STEP_NAMES = ["first", "second", "third"] as const;
export type Phase = "start" | "restart" | "by-hand";

const [system, phase, folder] = process.argv.slice(2) as [string, Phase, string];
const log = join(folder, "steps.log");

/** One step of the run: its start and its end on the log, STEP_MS apart. */
const step = async (name: string) => {
  appendFileSync(log, `start ${name}\n`);
  await sleep(STEP_MS);
  appendFileSync(log, `done ${name}\n`);
};

const troupe = async () => {
  const { createSupervisor, defineAgent, startWorker } = await import("@troupe/runtime");
  const { openSqliteSnapshotStore, openSqliteWorkQueue } = await import("@troupe/runtime/sqlite");
  const { fromPromise, setup } = await import("xstate");
  const { STEPS } = await import("./workloads.ts");
  const stepActor = fromPromise<void, { name: string }>(({ input }) => step(input.name));
  const agent = defineAgent({
    name: "crash-steps",
    machine: setup({ actors: { step: stepActor } }).createMachine({
      initial: "first",
      states: {
        first: { invoke: { src: "step", input: { name: "first" }, onDone: "second" } },
        second: { invoke: { src: "step", input: { name: "second" }, onDone: "third" } },
        third: { invoke: { src: "step", input: { name: "third" }, onDone: "done" } },
        done: { type: "final" },
      },
    }),
  });
  if (STEPS !== 3) throw new Error("the crash scenario is written for 3 steps");
  const path = join(folder, "troupe.db");
  // The host's defaults, with a short lease so a lease left by the killed process is not waited on long.
  const queue = openSqliteWorkQueue({ path, leaseMs: 1_000 });
  const snapshots = openSqliteSnapshotStore({ path });
  const team = createSupervisor({ agents: [agent], snapshots });
  if (phase === "start") await queue.enqueue({ id: "run-1", input: { agent: agent.name, text: "go" } });
  startWorker({ team, queue, consumer: "bench-host", snapshots, pollWait: "100ms", renewEvery: "300ms" });
};

const langgraph = async () => {
  const { Annotation, END, MemorySaver, START, StateGraph } = await import("@langchain/langgraph");
  const State = Annotation.Root({
    steps: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  });
  const node = (name: string) => async () => {
    await step(name);
    return { steps: 1 };
  };
  const graph = new StateGraph(State)
    .addNode("first", node("first"))
    .addNode("second", node("second"))
    .addNode("third", node("third"))
    .addEdge(START, "first")
    .addEdge("first", "second")
    .addEdge("second", "third")
    .addEdge("third", END)
    .compile({ checkpointer: new MemorySaver() });
  const config = { configurable: { thread_id: "run-1" } };
  // With MemorySaver the checkpoints die with the process: by hand, the run can only be invoked
  // again (`invoke(null, config)` would find no checkpoint to resume on this thread).
  if (phase === "start" || phase === "by-hand") await graph.invoke({ steps: 0 }, config);
};

const mastra = async () => {
  const { Mastra } = await import("@mastra/core");
  const { LibSQLStore } = await import("@mastra/libsql");
  const { createStep, createWorkflow } = await import("@mastra/core/workflows");
  const { z } = await import("zod");
  const Steps = z.object({ steps: z.number() });
  const mastraStep = (name: string) =>
    createStep({
      id: name,
      inputSchema: Steps,
      outputSchema: Steps,
      execute: async ({ inputData }) => {
        await step(name);
        return { steps: inputData.steps + 1 };
      },
    });
  const workflow = createWorkflow({ id: "crash-steps", inputSchema: Steps, outputSchema: Steps })
    .then(mastraStep("first"))
    .then(mastraStep("second"))
    .then(mastraStep("third"))
    .commit();
  const app = new Mastra({
    workflows: { crashSteps: workflow },
    storage: new LibSQLStore({ id: "bench", url: `file:${join(folder, "mastra.db")}` }),
    logger: false,
  });
  const registered = app.getWorkflow("crashSteps");
  if (phase === "start") {
    const run = await registered.createRun({ runId: "run-1" });
    await run.start({ inputData: { steps: 0 } });
  }
  if (phase === "by-hand") await registered.restartAllActiveWorkflowRuns();
};

const systems: Record<string, () => Promise<void>> = { troupe, langgraph, mastra };
const runSystem = systems[system];
if (!runSystem || !["start", "restart", "by-hand"].includes(phase) || !folder) {
  process.stderr.write("usage: crashChild.ts <troupe|langgraph|mastra> <start|restart|by-hand> <folder>\n");
  process.exit(2);
}
await runSystem();
// The program stays up like a host would; the parent ends it.
setInterval(() => undefined, 60_000);
