// Saved actor state in the embedded store: the SnapshotStore port on the same node:sqlite file as the
// work queue, so a machine-form agent's run interrupted by a crash resumes from its last step when
// the queue delivers its task again. A snapshot that cannot be read back is logged and treated as
// absent (the task then starts over) instead of failing the delivery.
import { resolve } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { openStoreFile } from "./storeFile.ts";

export interface SqliteSnapshotStoreOptions {
  /** The database file (usually the work queue's); its folder is created when missing. */
  readonly path: string;
  /** How long a write waits for another process's transaction (default 5 s). */
  readonly busyTimeoutMs?: number;
  readonly logger?: Logger;
}

export interface SqliteSnapshotStore extends SnapshotStore {
  readonly path: string;
  close(): Promise<void>;
}

class SqliteSnapshots implements SqliteSnapshotStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #logger: Logger;

  constructor(options: SqliteSnapshotStoreOptions) {
    this.path = resolve(options.path);
    this.#logger = options.logger ?? silentLogger;
    this.#db = openStoreFile(this.path, { busyTimeoutMs: options.busyTimeoutMs });
  }

  async load(key: string): Promise<unknown> {
    const row = this.#db.prepare("SELECT value FROM troupe_snapshots WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.value);
    } catch (error) {
      this.#logger.log("error", "snapshot store: a saved snapshot is not valid JSON; starting over", {
        key,
        error,
      });
      return undefined;
    }
  }

  async save(key: string, snapshot: unknown): Promise<void> {
    const value = JSON.stringify(snapshot);
    if (value === undefined) throw new TypeError(`snapshot ${key} cannot be stored as JSON`);
    this.#db
      .prepare(
        "INSERT INTO troupe_snapshots (key, value, saved_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, saved_at = excluded.saved_at",
      )
      .run(key, value, Date.now());
  }

  async delete(key: string): Promise<void> {
    this.#db.prepare("DELETE FROM troupe_snapshots WHERE key = ?").run(key);
  }

  async keys(prefix: string): Promise<readonly string[]> {
    // Compared as UTF-8 bytes: SQLite counts a text's characters by code point, JavaScript by UTF-16
    // unit, so a prefix with an emoji in it would be cut at the wrong place as text.
    const rows = this.#db
      .prepare(
        "SELECT key FROM troupe_snapshots WHERE substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB) ORDER BY key",
      )
      .all(Buffer.byteLength(prefix, "utf8"), prefix) as unknown as { key: string }[];
    return rows.map((row) => row.key);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Open (and create when missing) the snapshot table of the embedded store at `path`. */
export const openSqliteSnapshotStore = (options: SqliteSnapshotStoreOptions): SqliteSnapshotStore =>
  new SqliteSnapshots(options);
