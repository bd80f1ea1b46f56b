// Semantic memory in an SQLite file (node:sqlite). Vectors are kept as Float32 blobs; when the
// `sqlite-vec` extension (an npm package with a prebuilt library per platform) loads, the database
// ranks them with its `vec_distance_cosine`; when it does not (another platform, extensions off), the
// same rows are ranked by cosine computed here — the `search` property says which. Rows are keyed by
// team (the host's namespace), namespace (the agent), model and text: teams sharing a file never see
// each other's memories, and a text remembered again is kept once. A file of an older Troupe is
// migrated when opened.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { DatabaseSync } from "../internal/nodeSqlite.ts";
import { makePrivateDatabaseFile } from "../internal/privateFiles.ts";
import type { Logger } from "../log/Logger.ts";
import {
  cosine,
  DEFAULT_NAMESPACE,
  type Embedder,
  embedOne,
  type Memory,
  type Recalled,
  type RecallOptions,
  type RememberOptions,
  rank,
  type SemanticMemory,
} from "./SemanticMemory.ts";

export interface SqliteSemanticMemoryOptions {
  /** A file (created with its folder) or ":memory:". */
  readonly path: string;
  readonly embedder: Embedder;
  /** "auto" (default): sqlite-vec when it loads; "plain": always cosine computed here. */
  readonly vector?: "auto" | "plain";
  readonly logger?: Logger;
  readonly now?: () => number;
  /**
   * Whose memories these are: the team's namespace (the host's TROUPE_NAMESPACE), default "default".
   * Teams sharing one file never recall each other's memories.
   */
  readonly team?: string;
}

interface Row {
  id: string;
  text: string;
  metadata: string;
  created_at: number;
  embedding: Uint8Array;
  score?: number;
}

const require = createRequire(import.meta.url);

/** Load sqlite-vec into `db`; false (and why, logged) when it cannot be. */
const loadSqliteVec = (db: DatabaseSync, logger: Logger | undefined): boolean => {
  try {
    const { getLoadablePath } = require("sqlite-vec") as { getLoadablePath: () => string };
    db.loadExtension(getLoadablePath());
    return true;
  } catch (error) {
    logger?.log("warn", "sqlite-vec did not load: semantic memory ranks with plain cosine", {
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
};

const toBlob = (vector: readonly number[]) => new Uint8Array(Float32Array.from(vector).buffer);
const fromBlob = (blob: Uint8Array) =>
  new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));

const memoryOf = (row: Row): Memory => ({
  id: row.id,
  text: row.text,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  createdAt: row.created_at,
});

/**
 * Create the table, or bring one of an older Troupe up to date: its rows go to `team` (the host kept
 * one file per namespace, so they are that team's), copies of a text are dropped (the oldest is
 * kept), and one unique index on (team, namespace, model, text) keeps it so — and serves the
 * lookups, replacing the older scope index.
 */
const migrateMemoryTable = (db: DatabaseSync, team: string) => {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(`
CREATE TABLE IF NOT EXISTS troupe_memories (
  id          TEXT PRIMARY KEY,
  team        TEXT NOT NULL,      -- the team's namespace
  namespace   TEXT NOT NULL,      -- the agent's
  text        TEXT NOT NULL,
  metadata    TEXT NOT NULL,      -- JSON
  model       TEXT NOT NULL,      -- the embedding model (vectors of two models do not compare)
  dims        INTEGER NOT NULL,
  embedding   BLOB NOT NULL,      -- Float32, little-endian
  created_at  INTEGER NOT NULL
) STRICT;`);
    const columns = db.prepare("SELECT name FROM pragma_table_info('troupe_memories')").all();
    if (!columns.some((column) => column.name === "team")) {
      db.exec("ALTER TABLE troupe_memories ADD COLUMN team TEXT NOT NULL DEFAULT ''");
      db.prepare("UPDATE troupe_memories SET team = ?").run(team);
    }
    const index = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'troupe_memories_key'",
    );
    if (index.get() === undefined) {
      db.exec(`
DELETE FROM troupe_memories WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY team, namespace, model, text ORDER BY created_at, id) AS copy
      FROM troupe_memories
  ) WHERE copy > 1
);
CREATE UNIQUE INDEX troupe_memories_key ON troupe_memories (team, namespace, model, text);
DROP INDEX IF EXISTS troupe_memories_scope;`);
    }
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
};

export const openSqliteSemanticMemory = (options: SqliteSemanticMemoryOptions): SemanticMemory => {
  makePrivateDatabaseFile(options.path);
  const wantVec = (options.vector ?? "auto") === "auto";
  const db = new DatabaseSync(options.path, { allowExtension: wantVec });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
  const vec = wantVec && loadSqliteVec(db, options.logger);
  const now = options.now ?? Date.now;
  const team = options.team ?? DEFAULT_NAMESPACE;
  migrateMemoryTable(db, team);
  const find = db.prepare(
    "SELECT id, text, metadata, created_at FROM troupe_memories WHERE team = ? AND namespace = ? AND model = ? AND text = ?",
  );
  const insert = db.prepare(
    `INSERT INTO troupe_memories (id, team, namespace, text, metadata, model, dims, embedding, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const byVec = vec
    ? db.prepare(
        `SELECT id, text, metadata, created_at, 1 - vec_distance_cosine(embedding, ?) AS score
           FROM troupe_memories WHERE team = ? AND namespace = ? AND model = ? AND dims = ?
          ORDER BY score DESC LIMIT ?`,
      )
    : undefined;
  const all = db.prepare(
    "SELECT id, text, metadata, created_at, embedding FROM troupe_memories WHERE team = ? AND namespace = ? AND model = ? AND dims = ?",
  );
  const { embedder } = options;

  return {
    search: vec ? "sqlite-vec" : "plain",
    async remember(text: string, remember: RememberOptions = {}) {
      const key = [team, remember.namespace ?? DEFAULT_NAMESPACE, embedder.model, text] as const;
      const known = find.get(...key) as Row | undefined;
      if (known) return memoryOf(known);
      const vector = await embedOne(embedder, text, remember.signal);
      const memory: Memory = { id: randomUUID(), text, metadata: remember.metadata ?? {}, createdAt: now() };
      const { changes } = insert.run(
        memory.id,
        team,
        key[1],
        text,
        JSON.stringify(memory.metadata),
        embedder.model,
        vector.length,
        toBlob(vector),
        memory.createdAt,
      );
      // Remembered by someone else while this one was embedding: theirs is the one kept.
      const theirs = changes === 0 ? (find.get(...key) as Row | undefined) : undefined;
      return theirs ? memoryOf(theirs) : memory;
    },
    async recall(query: string, recall: RecallOptions = {}): Promise<readonly Recalled[]> {
      const vector = await embedOne(embedder, query, recall.signal);
      const scope = [team, recall.namespace ?? DEFAULT_NAMESPACE, embedder.model, vector.length] as const;
      if (byVec) {
        const rows = byVec.all(toBlob(vector), ...scope, recall.limit ?? 5) as unknown as Row[];
        return rank(
          rows.map((row) => ({ ...memoryOf(row), score: Number(row.score) })),
          recall,
        );
      }
      const rows = all.all(...scope) as unknown as Row[];
      return rank(
        rows.map((row) => ({ ...memoryOf(row), score: cosine(fromBlob(row.embedding), vector) })),
        recall,
      );
    },
    async forget(id: string) {
      db.prepare("DELETE FROM troupe_memories WHERE id = ? AND team = ?").run(id, team);
    },
    async close() {
      db.close();
    },
  };
};
