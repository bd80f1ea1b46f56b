// A machine agent's step that needs its task: `taskStep(run)` is a promise actor whose `run` gets
// the live AgentContext of the task (model, tools, memory, people) and a signal aborted when either
// the task is cancelled or the machine leaves the state that invoked the step. Its input stays plain
// JSON, so a saved run restores it; a step cut off by a crash runs again, a finished one never does.
import { type AnyActorRef, fromPromise, type PromiseActorLogic } from "xstate";
import { TroupeError } from "../errors/TroupeError.ts";
import type { AgentContext } from "./AgentContext.ts";
import { taskContextOf } from "./persistentRunner.ts";

/** The context of the run that invoked `step`: the nearest ancestor that is a machine agent's run. */
const contextOfStep = (step: AnyActorRef): AgentContext => {
  const ctx = taskContextOf(step);
  if (ctx) return ctx;
  throw new TroupeError(
    "InvalidAgent",
    `step "${step.id}" ran outside a machine agent's task: taskStep actors need defineAgent({ machine })`,
  );
};

export interface TaskStepArgs<TInput> {
  readonly input: TInput;
  readonly ctx: AgentContext;
  /** Aborted with the task, or when the machine leaves the state that invoked this step. */
  readonly signal: AbortSignal;
}

export const taskStep = <TOutput, TInput = void>(
  run: (args: TaskStepArgs<TInput>) => Promise<TOutput>,
): PromiseActorLogic<TOutput, TInput> =>
  fromPromise<TOutput, TInput>(({ input, self, signal }) => {
    const ctx = contextOfStep(self);
    return run({ input, ctx, signal: AbortSignal.any([ctx.signal, signal]) });
  });
