// Mastra's side of the peer workloads, as its docs write them: createStep/createWorkflow with zod
// schemas, one run per task. W1 and W2 run a bare committed workflow (no storage, Mastra's fastest
// form); W3 and W4 register their workflows in `new Mastra({ storage: new InMemoryStore() })` (W3 on
// disk: a LibSQLStore file), which saves the run's snapshot as its steps finish.
import { setTimeout as sleep } from "node:timers/promises";
import { Mastra } from "@mastra/core";
import { InMemoryStore } from "@mastra/core/storage";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { LibSQLStore } from "@mastra/libsql";
import { z } from "zod";
import { BRANCH_MS, BRANCHES, type Workloads } from "./workloads.ts";

const Steps = z.object({ steps: z.number() });

const noopStep = (id: string) =>
  createStep({
    id,
    inputSchema: Steps,
    outputSchema: Steps,
    execute: async ({ inputData }) => ({ steps: inputData.steps + 1 }),
  });

const oneStepWorkflow = (id: string) =>
  createWorkflow({ id, inputSchema: Steps, outputSchema: Steps })
    .then(noopStep(`${id}-step`))
    .commit();

const runToSuccess = async (
  workflow: ReturnType<typeof oneStepWorkflow>,
  runId?: string,
  inputData: z.infer<typeof Steps> = { steps: 0 },
) => {
  const run = await workflow.createRun(runId === undefined ? undefined : { runId });
  const result = await run.start({ inputData });
  if (result.status !== "success") throw new Error(`Mastra run ended ${result.status}`);
};

export const mastra: Workloads = {
  name: "Mastra",
  note: "W1/W2: a bare committed workflow, nothing stored; W3: registered with an InMemoryStore (on disk a LibSQLStore file), which keeps each run's snapshot (written as its steps finish) after the run",
  async noop() {
    const workflow = oneStepWorkflow("noop");
    return {
      run: async (count) => {
        for (let index = 0; index < count; index += 1) await runToSuccess(workflow);
      },
      stop: async () => undefined,
    };
  },
  async fanOut() {
    const branches = Array.from({ length: BRANCHES }, (_, index) =>
      createStep({
        id: `branch-${index}`,
        inputSchema: Steps,
        outputSchema: Steps,
        execute: async ({ inputData }) => {
          await sleep(BRANCH_MS);
          return { steps: inputData.steps + 1 };
        },
      }),
    );
    const workflow = createWorkflow({ id: "fan-out", inputSchema: Steps, outputSchema: z.unknown() })
      .parallel(branches)
      .commit();
    return {
      run: async () => {
        const run = await workflow.createRun();
        const result = await run.start({ inputData: { steps: 0 } });
        if (result.status !== "success") throw new Error(`Mastra fan-out ended ${result.status}`);
      },
      stop: async () => undefined,
    };
  },
  onDisk: true,
  async steps(file) {
    const workflow = createWorkflow({ id: "three-steps", inputSchema: Steps, outputSchema: Steps })
      .then(noopStep("first"))
      .then(noopStep("second"))
      .then(noopStep("third"))
      .commit();
    const storage =
      file === undefined ? new InMemoryStore() : new LibSQLStore({ id: "bench", url: `file:${file}` });
    const app = new Mastra({ workflows: { threeSteps: workflow }, storage, logger: false });
    const registered = app.getWorkflow("threeSteps");
    return {
      run: async (id) => runToSuccess(registered as unknown as ReturnType<typeof oneStepWorkflow>, id),
      stop: async () => {
        if (storage instanceof LibSQLStore) await storage.close();
      },
    };
  },
  async idle(count) {
    const workflows = Object.fromEntries(
      Array.from({ length: count }, (_, index) => [`w${index}`, oneStepWorkflow(`w${index}`)]),
    );
    return new Mastra({ workflows, storage: new InMemoryStore(), logger: false });
  },
};
