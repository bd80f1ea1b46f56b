// The Llm an agent gets as `ctx.llm` while it works on a task: every call is cancelled with the task
// (its signal is joined with the caller's), and streamed tokens keep the task alive (heartbeat) and
// show as progress at most once a second, so a long generation is never declared hung.
import { TroupeError } from "../errors/TroupeError.ts";
import { fitToContext } from "./fitToContext.ts";
import type { ChatMessage, ChatOptions, Llm } from "./Llm.ts";

/** Model calls one task may still make (shared by every `ctx.llm` of the task). */
export interface StepBudget {
  readonly limit: number;
  used: number;
}

export interface TaskHooks {
  readonly signal: AbortSignal;
  /** The task's step budget; unlimited when absent. */
  readonly budget?: StepBudget;
  heartbeat(): void;
  progress(message: string): void;
  now(): number;
}

const PROGRESS_EVERY_MS = 1_000;

export const taskLlm = (base: Llm, task: TaskHooks): Llm => {
  let tokens = 0;
  let lastProgressAt = Number.NEGATIVE_INFINITY;
  const withTask = <O extends Pick<ChatOptions, "signal" | "onToken">>(options: O | undefined): O => {
    const own = options?.signal;
    const onToken = options?.onToken;
    return {
      ...(options as O),
      signal: own ? AbortSignal.any([own, task.signal]) : task.signal,
      onToken: (token: string) => {
        tokens += 1;
        task.heartbeat();
        const now = task.now();
        if (now - lastProgressAt >= PROGRESS_EVERY_MS) {
          lastProgressAt = now;
          task.progress(`generating with ${base.model} (${tokens} tokens)`);
        }
        onToken?.(token);
      },
    };
  };
  // A prompt over the model's context is cut with a note, and the task says so.
  const fit = (messages: readonly ChatMessage[]): readonly ChatMessage[] => {
    if (!base.contextTokens) return messages;
    const fitted = fitToContext(messages, { contextTokens: base.contextTokens });
    if (fitted.truncated) {
      task.progress(
        `prompt of about ${fitted.estimatedTokens} tokens cut to fit ${base.model}'s context of ${base.contextTokens} (${fitted.dropped} messages left out, ${fitted.cutChars} characters cut)`,
      );
    }
    return fitted.messages;
  };
  const budget = task.budget;
  const spent = () =>
    new TroupeError(
      "StepLimit",
      `the task used its whole budget of ${budget?.limit} model calls: raise the agent's maxSteps (defineAgent({ maxSteps })), or narrow the task`,
      { data: { model: base.model, role: base.role, maxSteps: budget?.limit } },
    );
  const take = () => {
    if (!budget) return;
    if (budget.used >= budget.limit) throw spent();
    budget.used += 1;
  };
  return {
    model: base.model,
    role: base.role,
    contextTokens: base.contextTokens,
    chat: async (messages, options) => {
      take();
      return base.chat(fit(messages), withTask(options));
    },
    chatStructured: async (messages, schema, options) => {
      take();
      return base.chatStructured(fit(messages), schema, withTask(options));
    },
    runTools: async (messages, tools, options) => {
      if (!budget) return base.runTools(messages, tools, withTask(options));
      const left = budget.limit - budget.used;
      if (left <= 0) throw spent();
      const maxSteps = Math.min(options?.maxSteps ?? left, left);
      try {
        const run = await base.runTools(messages, tools, { ...withTask(options), maxSteps });
        budget.used += run.steps;
        return run;
      } catch (error) {
        if (error instanceof TroupeError && error._tag === "StepLimit") budget.used += maxSteps;
        throw error;
      }
    },
  };
};
