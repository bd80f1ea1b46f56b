// What a task is: the input a caller submits (validated with Effect Schema, since it arrives from
// consoles, chat and other processes) and the Task value an agent receives.
import { randomUUID } from "node:crypto";
import { Result, Schema } from "effect";
import { TroupeError } from "../errors/TroupeError.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { checkTaskId, checkTaskSize, DEFAULT_MAX_TASK_BYTES } from "./taskLimits.ts";

/** One earlier message of the conversation a task continues: who wrote it and what they said. */
export const ConversationTurn = Schema.Struct({
  /** "user" for a person, "assistant" for an agent (or the surface's bot). */
  role: Schema.Literals(["user", "assistant"]),
  /** The author's display name: a person's, or the agent's. */
  name: Schema.String,
  content: Schema.String,
});
export type ConversationTurn = typeof ConversationTurn.Type;

export const TaskInput = Schema.Struct({
  /** Free text of the request, as a person typed it. */
  text: Schema.optional(Schema.String),
  /** Structured input for the agent (its own type). */
  input: Schema.optional(Schema.Unknown),
  /** Where it came from: a channel name routes by channel rules. */
  channel: Schema.optional(Schema.String),
  /** A slash command such as "/summarize" routes by command rules. */
  command: Schema.optional(Schema.String),
  /** Capabilities the task needs; routes by capability. */
  needs: Schema.optional(Schema.Array(Schema.String)),
  /** Send to this agent, skipping the routing rules. */
  agent: Schema.optional(Schema.String),
  /** Who asked (a user id or name), for rate limits and approvals. */
  from: Schema.optional(Schema.String),
  /** How long the task may take in all, e.g. "2m"; the agent's default when absent. */
  deadline: Schema.optional(Schema.Union([Schema.Number, Schema.String])),
  /** A caller-chosen id; one is generated when absent. */
  id: Schema.optional(Schema.String),
  /**
   * The conversation this task continues, oldest first, without the request itself: a chat thread's
   * earlier messages on a follow-up (bounded by whoever builds it).
   */
  conversation: Schema.optional(Schema.Array(ConversationTurn)),
  /** The task's working memory: notes to keep in mind (a thread's pinned messages on Discord). */
  notes: Schema.optional(Schema.Array(Schema.String)),
});
export type TaskInput = typeof TaskInput.Type;

export interface Task<TInput = unknown> {
  readonly id: string;
  readonly text: string;
  readonly input: TInput;
  readonly channel: string | undefined;
  readonly command: string | undefined;
  readonly needs: readonly string[];
  readonly from: string | undefined;
  /** 1 on the first run; grows when a hung or restarted agent's task is reassigned. */
  readonly attempt: number;
  readonly parentTaskId: string | undefined;
  readonly fanOutId: string | undefined;
  readonly createdAt: number;
  readonly deadlineMs: number | undefined;
  /** Earlier turns of the conversation this task continues, oldest first (empty when none). */
  readonly conversation: readonly ConversationTurn[];
  /** Working memory: notes to keep in mind while working on it (empty when none). */
  readonly notes: readonly string[];
}

const decodeTaskInput = Schema.decodeUnknownResult(TaskInput);

const decode = (raw: unknown): TaskInput => {
  const decoded = decodeTaskInput(raw);
  if (Result.isFailure(decoded)) {
    throw new TroupeError("InvalidTask", `invalid task: ${decoded.failure.message}`, {
      data: { input: raw },
    });
  }
  return decoded.success;
};

/** The fields of a TaskInput that are optional strings. */
const STRING_FIELDS = new Set(["agent", "id", "channel", "command", "from"]);

/**
 * `{ text }` with string values in the optional string fields only (`agent`, `id` — a fan-out's
 * branch —, `channel`, `command`, `from`): valid by construction, no decoding needed.
 */
const isPlainTextTask = (raw: unknown): raw is TaskInput & { text: string } => {
  if (typeof raw !== "object" || raw === null || typeof (raw as { text?: unknown }).text !== "string")
    return false;
  for (const key in raw) {
    if (
      key !== "text" &&
      !(STRING_FIELDS.has(key) && typeof (raw as Record<string, unknown>)[key] === "string")
    )
      return false;
  }
  return true;
};

/** The prefix, a dash and the first 12 hex digits of a random UUID (the 8 before its first dash, the 4 after). */
export const newId = (prefix: string): string => {
  const uuid = randomUUID();
  return `${prefix}-${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
};

/**
 * Validate raw input into a Task; a bad field gives an InvalidTask error naming it, and so does an
 * id off TASK_ID_PATTERN or an input over `maxTaskBytes` (default 1 MiB).
 */
export const createTask = (
  raw: unknown,
  extra: { now: number; parentTaskId?: string; fanOutId?: string; maxTaskBytes?: number },
): { task: Task; agent: string | undefined } => {
  const input: TaskInput = isPlainTextTask(raw) ? raw : decode(raw);
  if (input.id !== undefined) checkTaskId(input.id);
  checkTaskSize(input, extra.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES);
  if (input.text === undefined && input.input === undefined && input.command === undefined) {
    throw new TroupeError("InvalidTask", "invalid task: it needs `text`, `input` or `command`", {
      data: { input: raw },
    });
  }
  let deadlineMs: number | undefined;
  try {
    deadlineMs = input.deadline === undefined ? undefined : toMillis(input.deadline as Duration, "deadline");
  } catch (error) {
    throw new TroupeError("InvalidTask", `invalid task: ${(error as Error).message}`, {
      data: { input: raw },
    });
  }
  return {
    agent: input.agent,
    task: {
      id: input.id ?? newId("t"),
      text: input.text ?? "",
      input: input.input ?? input.text,
      channel: input.channel,
      command: input.command,
      needs: input.needs ?? [],
      from: input.from,
      attempt: 1,
      parentTaskId: extra.parentTaskId,
      fanOutId: extra.fanOutId,
      createdAt: extra.now,
      deadlineMs,
      conversation: input.conversation ?? [],
      notes: input.notes ?? [],
    },
  };
};
