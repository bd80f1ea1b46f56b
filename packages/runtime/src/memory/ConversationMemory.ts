// Conversation memory: the messages of one task thread (a Discord thread, a console conversation),
// kept so a follow-up in the same thread sees what was said before. In memory for tests and one-off
// teams; `SqliteConversationMemory` keeps it in the embedded store's kind of file.
import type { ChatMessage } from "../llm/Llm.ts";

export interface ConversationMemory {
  /** Add a message at the end of a thread. */
  append(thread: string, message: ChatMessage): Promise<void>;
  /** The last `limit` messages of a thread, oldest first. */
  history(thread: string, limit: number): Promise<readonly ChatMessage[]>;
  /** Forget a thread. */
  clear(thread: string): Promise<void>;
}

/** Keep only what a model needs of a message (role, content, tool calls, tool name). */
export const storedMessage = (message: ChatMessage): ChatMessage => ({
  role: message.role,
  content: String(message.content),
  ...(message.toolCalls ? { toolCalls: message.toolCalls } : {}),
  ...(message.toolName ? { toolName: message.toolName } : {}),
});

export class MemoryConversationMemory implements ConversationMemory {
  readonly #threads = new Map<string, ChatMessage[]>();

  async append(thread: string, message: ChatMessage): Promise<void> {
    let messages = this.#threads.get(thread);
    if (!messages) {
      messages = [];
      this.#threads.set(thread, messages);
    }
    messages.push(storedMessage(message));
  }

  async history(thread: string, limit: number): Promise<readonly ChatMessage[]> {
    if (limit <= 0) return [];
    return (this.#threads.get(thread) ?? []).slice(-limit);
  }

  async clear(thread: string): Promise<void> {
    this.#threads.delete(thread);
  }
}
