// The Llm an agent gets as `ctx.llm` while it works on a task: every call is cancelled with the task
// (its signal is joined with the caller's), and streamed tokens keep the task alive (heartbeat) and
// show as progress at most once a second, so a long generation is never declared hung.
import type { ChatOptions, Llm } from "./Llm.ts";

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
  return {
    model: base.model,
    role: base.role,
    chat: (messages, options) => base.chat(messages, withTask(options)),
    chatStructured: (messages, schema, options) => base.chatStructured(messages, schema, withTask(options)),
    runTools: (messages, tools, options) => base.runTools(messages, tools, withTask(options)),
  };
};
