// What an agent sees of memory while it works on a task (`ctx.memory`): the conversation of the
// task's thread (its channel, else the task itself) and semantic recall in the agent's own namespace,
// so a follow-up in the same thread sees what was said, and related past work can be recalled.
import type { ChatMessage } from "../llm/Llm.ts";
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
  /** Related texts remembered before by this agent, best first; empty without a semantic store. */
  recall(query: string, options?: { limit?: number; minScore?: number }): Promise<readonly Recalled[]>;
  /** Remember a text for later recall (undefined without a semantic store). */
  remember(text: string, metadata?: Record<string, unknown>): Promise<Memory | undefined>;
}

export const taskMemory = (
  memory: TeamMemory | undefined,
  agent: string,
  task: Task,
  signal: AbortSignal,
): TaskMemory => {
  const thread = task.channel ?? task.id;
  return {
    thread,
    history: async (limit = 20) => (memory?.conversation ? memory.conversation.history(thread, limit) : []),
    append: async (message) => {
      await memory?.conversation?.append(thread, message);
    },
    recall: async (query, options = {}) =>
      memory?.semantic ? memory.semantic.recall(query, { ...options, namespace: agent, signal }) : [],
    remember: async (text, metadata = {}) =>
      memory?.semantic?.remember(text, {
        namespace: agent,
        metadata: { taskId: task.id, ...metadata },
        signal,
      }),
  };
};
