// Follow-ups in a task's thread: a message a person writes in the thread of a task the bridge started
// becomes a new task that continues it — the same agent, the same channel, and as memory the thread's
// history (the opening request first, then the thread's recent messages as user/assistant turns with
// their authors' names, bounded in count and characters) and its pinned messages as working-memory
// notes. While a task of the thread waits for a person's answer, the message is that answer (the
// HumanGateway takes it) and starts nothing. Threads the bridge did not open are not follow-ups.
import type { Logger } from "../log/Logger.ts";
import type { ConversationTurn, TaskInput } from "../task/Task.ts";
import type { InboundMessage, Surface, SurfaceHistoryMessage } from "./Surface.ts";

/** How much of a thread a follow-up carries. */
export interface FollowUpLimits {
  /** Conversation turns, the opening request included (newest kept). */
  readonly turns: number;
  /** Characters of all turns together (newest kept; one turn is cut when it alone is over). */
  readonly chars: number;
  /** Pinned messages taken as notes. */
  readonly notes: number;
  /** Characters of all notes together. */
  readonly noteChars: number;
}

export const DEFAULT_FOLLOW_UP_LIMITS: FollowUpLimits = {
  turns: 20,
  chars: 8_000,
  notes: 10,
  noteChars: 4_000,
};

/** What the bridge remembers of a thread it opened for a task. */
export interface TaskThread {
  /** The agent that ran the opening task (known once it was claimed). */
  readonly agent: () => string | undefined;
  /** The opening task's channel (name or id), for the follow-up's routing and memory. */
  readonly channel: string;
  /** The request that opened the thread (it sits in the parent channel, not in the thread). */
  readonly opening: ConversationTurn;
}

export type FollowUpRoute =
  | {
      readonly kind: "follow-up";
      readonly threadId: string;
      readonly thread: TaskThread;
      readonly text: string;
    }
  | { readonly kind: "ignore"; readonly why: "bot" | "empty" | "awaiting_human" };

/** The threads the bridge opened (the latest `limit`), and which of their tasks wait for a person. */
export class TaskThreads {
  readonly #limit: number;
  readonly #threads = new Map<string, TaskThread>();
  /** Thread id → ids of its tasks waiting for a human answer. */
  readonly #waiting = new Map<string, Set<string>>();

  readonly #forgotten: (threadId: string) => void;

  /** `forgotten` is told of each thread dropped to stay within `limit`. */
  constructor(limit = 1_000, forgotten: (threadId: string) => void = () => {}) {
    this.#limit = limit;
    this.#forgotten = forgotten;
  }

  remember(threadId: string, thread: TaskThread): void {
    this.#threads.set(threadId, thread);
    if (this.#threads.size > this.#limit) {
      const oldest = this.#threads.keys().next().value;
      if (oldest !== undefined) {
        this.#threads.delete(oldest);
        this.#forgotten(oldest);
      }
    }
  }

  get(threadId: string): TaskThread | undefined {
    return this.#threads.get(threadId);
  }

  /** A task of the thread starts (`true`) or stops (`false`) waiting for a person's answer. */
  waiting(threadId: string, taskId: string, waits: boolean): void {
    const tasks = this.#waiting.get(threadId) ?? new Set<string>();
    if (waits) tasks.add(taskId);
    else tasks.delete(taskId);
    if (tasks.size === 0) this.#waiting.delete(threadId);
    else this.#waiting.set(threadId, tasks);
  }

  isWaiting(threadId: string): boolean {
    return this.#waiting.has(threadId);
  }
}

/** Whether a message is a follow-up: undefined when it is not in a thread the bridge opened. */
export const routeFollowUp = (message: InboundMessage, threads: TaskThreads): FollowUpRoute | undefined => {
  const threadId = message.threadId;
  const thread = threadId === undefined ? undefined : threads.get(threadId);
  if (threadId === undefined || thread === undefined) return undefined;
  if (message.fromBot) return { kind: "ignore", why: "bot" };
  if (threads.isWaiting(threadId)) return { kind: "ignore", why: "awaiting_human" };
  const text = message.content.trim();
  if (text === "") return { kind: "ignore", why: "empty" };
  return { kind: "follow-up", threadId, thread, text };
};

const clip = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);

/** The newest turns within the limits, oldest first; the newest one is cut when it alone is too long. */
export const boundTurns = (
  turns: readonly ConversationTurn[],
  limits: Pick<FollowUpLimits, "turns" | "chars">,
): ConversationTurn[] => {
  const kept: ConversationTurn[] = [];
  let chars = 0;
  for (let index = turns.length - 1; index >= 0 && kept.length < limits.turns; index -= 1) {
    const turn = turns[index]!;
    const room = limits.chars - chars;
    if (turn.content.length > room) {
      if (kept.length === 0 && room > 0) kept.push({ ...turn, content: clip(turn.content, room) });
      break;
    }
    kept.push(turn);
    chars += turn.content.length;
  }
  return kept.reverse();
};

/** Pinned messages as notes within the limits, the earliest pinned first. */
export const boundNotes = (
  pinned: readonly SurfaceHistoryMessage[],
  limits: Pick<FollowUpLimits, "notes" | "noteChars">,
): string[] => {
  const notes: string[] = [];
  let chars = 0;
  for (const message of pinned) {
    const content = message.content.trim();
    if (content === "") continue;
    if (notes.length === limits.notes || chars >= limits.noteChars) break;
    const note = clip(content, limits.noteChars - chars);
    notes.push(note);
    chars += note.length;
  }
  return notes;
};

const turnOf = (message: SurfaceHistoryMessage): ConversationTurn => ({
  role: message.fromBot ? "assistant" : "user",
  name: message.authorName,
  content: message.content,
});

/**
 * The task input of a follow-up: its text, the thread's agent and channel, the conversation so far
 * (the opening request, then the thread's messages before this one) and the pinned notes. A surface
 * without history or pins, or one that fails to give them, gives a follow-up without that memory.
 */
export const followUpInput = async (
  surface: Surface,
  message: InboundMessage,
  route: Extract<FollowUpRoute, { kind: "follow-up" }>,
  options: { readonly id: string; readonly limits: FollowUpLimits; readonly logger: Logger },
): Promise<TaskInput> => {
  const { threadId, thread } = route;
  const { limits, logger } = options;
  const fetched = async (
    what: string,
    read: (() => Promise<readonly SurfaceHistoryMessage[]>) | undefined,
  ) => {
    try {
      return (await read?.()) ?? [];
    } catch (error) {
      logger.log("warn", `surface: the thread's ${what} could not be read; the follow-up goes without`, {
        taskId: options.id,
        threadId,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    }
  };
  const [history, pinned] = await Promise.all([
    fetched(
      "history",
      surface.history && (() => surface.history!(threadId, { limit: limits.turns, before: message.id })),
    ),
    fetched("pins", surface.pinned && (() => surface.pinned!(threadId))),
  ]);
  const earlier = history.filter((turn) => turn.id !== message.id && turn.content.trim() !== "").map(turnOf);
  const agent = thread.agent();
  return {
    id: options.id,
    text: route.text,
    ...(agent === undefined ? {} : { agent }),
    channel: thread.channel,
    from: message.authorId,
    conversation: boundTurns([thread.opening, ...earlier], limits),
    notes: boundNotes(pinned, limits),
  };
};
