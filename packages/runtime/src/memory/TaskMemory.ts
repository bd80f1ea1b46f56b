// What an agent sees of memory while it works on a task (`ctx.memory`): the conversation of the
// task's thread (its channel, else the task itself) and semantic recall in the agent's own namespace,
// so a follow-up in the same thread sees what was said, and related past work can be recalled.
// Semantic memory helps a task and is never why it fails: while the embedding model is missing,
// down, busy, hung, refusing or answering garbage (a Model* error from the store), recall answers
// nothing and remember keeps nothing, with one warning naming the cause, and the task runs on; an
// info line says when the model answers again. Any other error of the store fails the task.
import { isTroupeError, type TroupeErrorTag } from "../errors/TroupeError.ts";
import type { ChatMessage } from "../llm/Llm.ts";
import type { Logger } from "../log/Logger.ts";
import type { Task } from "../task/Task.ts";
import type { ConversationMemory } from "./ConversationMemory.ts";
import type { Memory, Recalled, SemanticMemory } from "./SemanticMemory.ts";

/** The team's memory stores (`createSupervisor({ memory })`). */
export interface TeamMemory {
  readonly conversation?: ConversationMemory;
  readonly semantic?: SemanticMemory;
}

export interface TaskMemory {
  /** The thread this task belongs to: its channel (a chat thread), else its own id. */
  readonly thread: string;
  /** The thread's last `limit` messages (default 20), oldest first; empty without a conversation store. */
  history(limit?: number): Promise<readonly ChatMessage[]>;
  /** Add a message to the thread (nothing without a conversation store). */
  append(message: ChatMessage): Promise<void>;
  /**
   * Related texts remembered before by this agent, best first; empty without a semantic store or
   * while its embedding model fails (missing, down, busy, hung).
   */
  recall(query: string, options?: { limit?: number; minScore?: number }): Promise<readonly Recalled[]>;
  /**
   * Remember a text for later recall (a text it remembers already is kept once); undefined without a
   * semantic store or while its embedding model fails (missing, down, busy, hung).
   */
  remember(text: string, metadata?: Record<string, unknown>): Promise<Memory | undefined>;
}

/** Why semantic memory is off, by the error its embedder gave. */
const OFF_BECAUSE: Partial<Record<TroupeErrorTag, string>> = {
  ModelNotFound: "its embedding model is missing",
  ModelUnavailable: "its embedding model cannot be reached",
  ModelBusy: "its embedding model is busy",
  ModelTimeout: "its embedding model did not answer in time",
  ModelRejected: "its embedding model refused the request",
  ModelBadResponse: "its embedding model answered something malformed",
};

/** Semantic stores whose embedder failed at their last call (warned about once). */
const embedderFailing = new WeakSet<SemanticMemory>();

/** Run a semantic store's call; while its embedder fails, `off` instead. */
const unlessEmbedderFails = async <T>(
  semantic: SemanticMemory,
  logger: Logger | undefined,
  call: () => Promise<T>,
  off: T,
): Promise<T> => {
  try {
    const result = await call();
    if (embedderFailing.delete(semantic))
      logger?.log("info", "semantic memory back on: its embedding model answers again");
    return result;
  } catch (error) {
    if (!isTroupeError(error)) throw error;
    const because = OFF_BECAUSE[error._tag];
    if (!because) throw error;
    if (!embedderFailing.has(semantic)) {
      embedderFailing.add(semantic);
      logger?.log("warn", `semantic memory off: ${because}; tasks run without recall`, {
        error: error.reason,
      });
    }
    return off;
  }
};

export const taskMemory = (
  memory: TeamMemory | undefined,
  agent: string,
  task: Task,
  signal: AbortSignal,
  logger?: Logger,
): TaskMemory => {
  const thread = task.channel ?? task.id;
  return {
    thread,
    history: async (limit = 20) => (memory?.conversation ? memory.conversation.history(thread, limit) : []),
    append: async (message) => {
      await memory?.conversation?.append(thread, message);
    },
    recall: async (query, options = {}) => {
      const semantic = memory?.semantic;
      if (!semantic) return [];
      return unlessEmbedderFails(
        semantic,
        logger,
        () => semantic.recall(query, { ...options, namespace: agent, signal }),
        [],
      );
    },
    remember: async (text, metadata = {}) => {
      const semantic = memory?.semantic;
      if (!semantic) return undefined;
      return unlessEmbedderFails(
        semantic,
        logger,
        () =>
          semantic.remember(text, { namespace: agent, metadata: { taskId: task.id, ...metadata }, signal }),
        undefined,
      );
    },
  };
};
