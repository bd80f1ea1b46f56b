// Semantic memory in an SQLite file (node:sqlite). Vectors are kept as Float32 blobs; when the
// `sqlite-vec` extension (an npm package with a prebuilt library per platform) loads, the database
// ranks them with its `vec_distance_cosine`; when it does not (another platform, extensions off), the
// same rows are ranked by cosine computed here — the `search` property says which.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { DatabaseSync } from "node:sqlite";
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

export const openSqliteSemanticMemory = (options: SqliteSemanticMemoryOptions): SemanticMemory => {
  makePrivateDatabaseFile(options.path);
  const wantVec = (options.vector ?? "auto") === "auto";
  const db = new DatabaseSync(options.path, { allowExtension: wantVec });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
  const vec = wantVec && loadSqliteVec(db, options.logger);
  const now = options.now ?? Date.now;
  db.exec(`
CREATE TABLE IF NOT EXISTS troupe_memories (
  id          TEXT PRIMARY KEY,
  namespace   TEXT NOT NULL,
  text        TEXT NOT NULL,
  metadata    TEXT NOT NULL,      -- JSON
  model       TEXT NOT NULL,      -- the embedding model (vectors of two models do not compare)
  dims        INTEGER NOT NULL,
  embedding   BLOB NOT NULL,      -- Float32, little-endian
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS troupe_memories_scope ON troupe_memories (namespace, model, dims);`);
  const insert = db.prepare(
    "INSERT INTO troupe_memories (id, namespace, text, metadata, model, dims, embedding, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const byVec = vec
    ? db.prepare(
        `SELECT id, text, metadata, created_at, 1 - vec_distance_cosine(embedding, ?) AS score
           FROM troupe_memories WHERE namespace = ? AND model = ? AND dims = ?
          ORDER BY score DESC LIMIT ?`,
      )
    : undefined;
  const all = db.prepare(
    "SELECT id, text, metadata, created_at, embedding FROM troupe_memories WHERE namespace = ? AND model = ? AND dims = ?",
  );
  const { embedder } = options;

  return {
    search: vec ? "sqlite-vec" : "plain",
    async remember(text: string, remember: RememberOptions = {}) {
      const vector = await embedOne(embedder, text, remember.signal);
      const memory: Memory = { id: randomUUID(), text, metadata: remember.metadata ?? {}, createdAt: now() };
      insert.run(
        memory.id,
        remember.namespace ?? DEFAULT_NAMESPACE,
        text,
        JSON.stringify(memory.metadata),
        embedder.model,
        vector.length,
        toBlob(vector),
        memory.createdAt,
      );
      return memory;
    },
    async recall(query: string, recall: RecallOptions = {}): Promise<readonly Recalled[]> {
      const vector = await embedOne(embedder, query, recall.signal);
      const scope = [recall.namespace ?? DEFAULT_NAMESPACE, embedder.model, vector.length] as const;
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
      db.prepare("DELETE FROM troupe_memories WHERE id = ?").run(id);
    },
    async close() {
      db.close();
    },
  };
};
