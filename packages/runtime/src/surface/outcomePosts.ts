// What the bridge posts in a task's thread once the work queue has its outcome: the reply under the
// agent's identity (as is, split on line and fence boundaries, or attached as a file when long), or
// the failure or cancellation with its reason; in privacy mode metadata only (task id, agent, state,
// the reply's size, attempts), the content staying local. And between two attempts, the 🔁 line
// every surface shows: the attempt about to be made and why the last one failed. When the host
// recorded the task, the last post carries the command that re-runs it offline as a small footer
// (an embed's footer: it stays out of the reply's text, which a follow-up reads back as the thread).
import type { TaskRecord } from "../durable/WorkQueue.ts";
import type { TaskState } from "../events/catalogue.ts";
import { planReply } from "./planReply.ts";
import { finalStateOf } from "./reconcileSurfaceTask.ts";
import type { SurfaceEmbed, SurfaceIdentity, SurfacePost } from "./Surface.ts";
import { statusText } from "./statusSymbols.ts";

export interface OutcomeOptions {
  readonly privacy: boolean;
  /** The reply's text from the task's output. */
  readonly format: (agent: string, output: unknown) => string;
  readonly maxChars: number;
  /** Messages a reply may take before it goes as a file. */
  readonly maxChunks?: number;
  /** Who the agent posts as. */
  readonly identityOf: (agent: string) => SurfaceIdentity;
  /** The command that re-runs the task offline (`troupe replay … --task …`), when it was recorded. */
  readonly replayCommand?: string | undefined;
}

/** The footer that offers a task's replay command. */
export const replayFooter = (command: string): SurfaceEmbed => ({
  footer: { text: `replay offline: ${command}` },
});

/** The outcome's posts with the replay command under the last one. */
const withReplay = (posts: SurfacePost[], command: string | undefined): SurfacePost[] =>
  command === undefined
    ? posts
    : posts.map((post, index) =>
        index === posts.length - 1
          ? { ...post, embeds: [...(post.embeds ?? []), replayFooter(command)] }
          : post,
      );

/** "🔁 retrying (attempt 2): <why the last attempt failed>"; in privacy mode without the reason. */
export const retryText = (
  taskId: string,
  retry: { readonly attempt: number; readonly reason: string },
  privacy = false,
): string =>
  privacy
    ? `${statusText("retrying")} · task ${taskId} · attempt ${retry.attempt}`
    : `${statusText("retrying")} (attempt ${retry.attempt}): ${retry.reason}`;

type Outcome = {
  readonly state: Extract<TaskState, "succeeded" | "cancelled" | "failed">;
  readonly posts: SurfacePost[];
};

export const outcomePosts = (
  task: { readonly id: string; readonly agent: string | undefined },
  record: TaskRecord | undefined,
  options: OutcomeOptions,
): Outcome => {
  const { state, posts } = outcomeWithoutReplay(task, record, options);
  return { state, posts: withReplay(posts, options.replayCommand) };
};

const outcomeWithoutReplay = (
  task: { readonly id: string; readonly agent: string | undefined },
  record: TaskRecord | undefined,
  options: OutcomeOptions,
): Outcome => {
  const state = finalStateOf(record);
  const metadata = (detail: string) =>
    `${statusText(state)} · task ${task.id}${task.agent ? ` · ${task.agent}` : ""}${detail}`;
  const withReason = (reason: string | undefined) =>
    reason ? `${statusText(state)}: ${reason}` : statusText(state);
  if (state === "cancelled")
    return {
      state,
      posts: [{ content: options.privacy ? metadata("") : withReason(record?.error?.reason) }],
    };
  if (state === "failed")
    return {
      state,
      posts: [
        {
          content: options.privacy
            ? metadata(` · after ${record?.attempts ?? "?"} attempts`)
            : withReason(record?.error?.reason ?? "the task failed"),
        },
      ],
    };
  const text = options.format(task.agent ?? "", record?.output);
  if (options.privacy)
    return { state, posts: [{ content: metadata(` · reply of ${text.length} characters kept local`) }] };
  const identity = task.agent === undefined ? {} : { identity: options.identityOf(task.agent) };
  const plan = planReply(text, {
    maxChars: options.maxChars,
    ...(options.maxChunks === undefined ? {} : { maxChunks: options.maxChunks }),
  });
  if (plan.messages.length === 0)
    return { state, posts: [{ content: statusText("succeeded", "(empty reply)"), ...identity }] };
  return {
    state,
    posts: plan.messages.map((content, index) => ({
      content,
      ...identity,
      ...(index === plan.messages.length - 1 && plan.file ? { files: [plan.file] } : {}),
    })),
  };
};
