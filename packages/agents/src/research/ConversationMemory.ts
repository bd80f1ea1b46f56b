// Conversation memory for follow-ups: the messages of a thread (a Discord thread, a console
// conversation), kept so the next question in the same thread is read with what was said before.
// A tiny port, so the memory engineer's store can replace the in-memory default.
import type { ChatMessage } from "@troupe/runtime/llm";

export interface ConversationMemory {
  /** The thread's messages, oldest first (empty for a new thread). */
  load(thread: string): Promise<readonly ChatMessage[]>;
  append(thread: string, messages: readonly ChatMessage[]): Promise<void>;
}

/** Threads in memory, each trimmed to its last `maxMessages` (default 40); lost on restart. */
export class InMemoryConversations implements ConversationMemory {
  readonly #threads = new Map<string, ChatMessage[]>();
  readonly #max: number;

  constructor(options: { maxMessages?: number } = {}) {
    this.#max = options.maxMessages ?? 40;
  }

  async load(thread: string): Promise<readonly ChatMessage[]> {
    return [...(this.#threads.get(thread) ?? [])];
  }

  async append(thread: string, messages: readonly ChatMessage[]): Promise<void> {
    const kept = [...(this.#threads.get(thread) ?? []), ...messages];
    this.#threads.set(thread, kept.slice(-this.#max));
  }
}
