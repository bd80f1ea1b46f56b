// Conversation memory in an SQLite file (node:sqlite): one row per message, ordered per thread, so a
// follow-up after a restart still sees the thread's history.
import { DatabaseSync } from "../internal/nodeSqlite.ts";
import { makePrivateDatabaseFile } from "../internal/privateFiles.ts";
import type { ChatMessage } from "../llm/Llm.ts";
import { type ConversationMemory, storedMessage } from "./ConversationMemory.ts";

export class SqliteConversationMemory implements ConversationMemory {
  readonly #db: DatabaseSync;
  readonly #owned: boolean;

  /** `path`: a file (created with its folder) or ":memory:"; or an open database to share. */
  constructor(options: { path: string } | { database: DatabaseSync }) {
    if ("database" in options) {
      this.#db = options.database;
      this.#owned = false;
    } else {
      makePrivateDatabaseFile(options.path);
      this.#db = new DatabaseSync(options.path);
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
      this.#owned = true;
    }
    this.#db.exec(`
CREATE TABLE IF NOT EXISTS troupe_conversation (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  thread   TEXT NOT NULL,
  message  TEXT NOT NULL   -- the ChatMessage as JSON
) STRICT;
CREATE INDEX IF NOT EXISTS troupe_conversation_thread ON troupe_conversation (thread, seq);`);
  }

  async append(thread: string, message: ChatMessage): Promise<void> {
    this.#db
      .prepare("INSERT INTO troupe_conversation (thread, message) VALUES (?, ?)")
      .run(thread, JSON.stringify(storedMessage(message)));
  }

  async history(thread: string, limit: number): Promise<readonly ChatMessage[]> {
    if (limit <= 0) return [];
    const rows = this.#db
      .prepare("SELECT message FROM troupe_conversation WHERE thread = ? ORDER BY seq DESC LIMIT ?")
      .all(thread, Math.floor(limit)) as { message: string }[];
    return rows.reverse().map((row) => JSON.parse(row.message) as ChatMessage);
  }

  async clear(thread: string): Promise<void> {
    this.#db.prepare("DELETE FROM troupe_conversation WHERE thread = ?").run(thread);
  }

  close(): void {
    if (this.#owned) this.#db.close();
  }
}
