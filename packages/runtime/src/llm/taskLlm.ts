// The Llm an agent gets as `ctx.llm` while it works on a task: every call is cancelled with the task
// (its signal is joined with the caller's), and streamed tokens keep the task alive (heartbeat) and
// show as progress at most once a second, so a long generation is never declared hung.
import { fitToContext } from "./fitToContext.ts";
import type { ChatMessage, ChatOptions, Llm } from "./Llm.ts";

export interface TaskHooks {
  readonly signal: AbortSignal;
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
  return {
    model: base.model,
    role: base.role,
    contextTokens: base.contextTokens,
    chat: (messages, options) => base.chat(fit(messages), withTask(options)),
    chatStructured: (messages, schema, options) =>
      base.chatStructured(fit(messages), schema, withTask(options)),
    runTools: (messages, tools, options) => base.runTools(messages, tools, withTask(options)),
  };
};
