// Semantic memory in PostgreSQL (the `pg` package). With the pgvector extension (available on the
// server, and created here if it is not yet) vectors are a `vector` column ranked by the database's
// cosine distance (`<=>`); without it they are `real[]` and ranked by cosine computed here. `search`
// says which. Every table name is prefixed and quoted; every value is a query parameter.
import { randomUUID } from "node:crypto";
import { TroupeError } from "../errors/TroupeError.ts";
import { importPeer } from "../internal/importPeer.ts";
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

/** What this needs of a `pg` Pool (so these types do not depend on the pg package's). */
export interface PostgresPool {
  // biome-ignore lint/suspicious/noExplicitAny: pg's own row type is any
  query<R = any>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
}

export interface PostgresSemanticMemoryOptions {
  /**
   * A connection string (`postgres://user@host:5432/db`; needs the optional peer dependency `pg`)
   * or a pool of yours, such as a `pg` Pool (left open on close).
   */
  readonly connection: string | PostgresPool;
  readonly embedder: Embedder;
  /** Table name (letters, digits, _), default `troupe_memories`. */
  readonly table?: string;
  /** "auto" (default): pgvector when the server has it; "plain": always `real[]` and cosine here. */
  readonly vector?: "auto" | "plain";
  readonly logger?: Logger;
}

interface Row {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  created_at: string | number;
  embedding?: number[];
  score?: number;
}

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether pgvector is usable: created already, or available and creatable by this user. */
const enablePgvector = async (pool: PostgresPool, logger: Logger | undefined): Promise<boolean> => {
  const available = await pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rowCount === 0) {
    logger?.log("info", "PostgreSQL has no pgvector: semantic memory ranks with plain cosine");
    return false;
  }
  try {
    await pool.query("CREATE EXTENSION IF NOT EXISTS vector");
    return true;
  } catch (error) {
    logger?.log("warn", "pgvector is available but could not be created: plain cosine instead", {
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
};

const memoryOf = (row: Row): Memory => ({
  id: row.id,
  text: row.text,
  metadata: row.metadata ?? {},
  createdAt: Number(row.created_at),
});

const openPool = async (connectionString: string): Promise<PostgresPool> => {
  const { default: pg } = await importPeer("Semantic memory on PostgreSQL", "pg", () => import("pg"));
  return new pg.Pool({ connectionString, max: 4 });
};

export const openPostgresSemanticMemory = async (
  options: PostgresSemanticMemoryOptions,
): Promise<SemanticMemory> => {
  const table = options.table ?? "troupe_memories";
  if (!TABLE.test(table))
    throw new TroupeError(
      "MemoryUnavailable",
      `the memory table name must be lower-case letters, digits or _, got "${table}"`,
    );
  const owned = typeof options.connection === "string";
  const pool: PostgresPool =
    typeof options.connection === "string" ? await openPool(options.connection) : options.connection;
  try {
    const vector = (options.vector ?? "auto") === "auto" && (await enablePgvector(pool, options.logger));
    // The two layouts live in separate tables, so a server that gains pgvector later starts afresh
    // instead of misreading the other column type.
    const name = `"${vector ? `${table}_vec` : table}"`;
    await pool.query(`
CREATE TABLE IF NOT EXISTS ${name} (
  id          text PRIMARY KEY,
  namespace   text NOT NULL,
  text        text NOT NULL,
  metadata    jsonb NOT NULL,
  model       text NOT NULL,
  dims        integer NOT NULL,
  embedding   ${vector ? "vector" : "real[]"} NOT NULL,
  created_at  bigint NOT NULL
)`);
    await pool.query(
      `CREATE INDEX IF NOT EXISTS "${vector ? `${table}_vec` : table}_scope" ON ${name} (namespace, model, dims)`,
    );
    const { embedder } = options;
    const literal = (values: readonly number[]) => (vector ? `[${values.join(",")}]` : values);
    return {
      search: vector ? "pgvector" : "plain",
      async remember(text: string, remember: RememberOptions = {}) {
        const values = await embedOne(embedder, text, remember.signal);
        const memory: Memory = {
          id: randomUUID(),
          text,
          metadata: remember.metadata ?? {},
          createdAt: Date.now(),
        };
        await pool.query(
          `INSERT INTO ${name} (id, namespace, text, metadata, model, dims, embedding, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            memory.id,
            remember.namespace ?? DEFAULT_NAMESPACE,
            text,
            JSON.stringify(memory.metadata),
            embedder.model,
            values.length,
            literal(values),
            memory.createdAt,
          ],
        );
        return memory;
      },
      async recall(query: string, recall: RecallOptions = {}): Promise<readonly Recalled[]> {
        const values = await embedOne(embedder, query, recall.signal);
        const scope = [recall.namespace ?? DEFAULT_NAMESPACE, embedder.model, values.length];
        if (vector) {
          const { rows } = await pool.query<Row>(
            `SELECT id, text, metadata, created_at, 1 - (embedding <=> $4::vector) AS score FROM ${name}
              WHERE namespace = $1 AND model = $2 AND dims = $3 ORDER BY embedding <=> $4::vector LIMIT $5`,
            [...scope, literal(values), recall.limit ?? 5],
          );
          return rank(
            rows.map((row) => ({ ...memoryOf(row), score: Number(row.score) })),
            recall,
          );
        }
        const { rows } = await pool.query<Row>(
          `SELECT id, text, metadata, created_at, embedding FROM ${name} WHERE namespace = $1 AND model = $2 AND dims = $3`,
          scope,
        );
        return rank(
          rows.map((row) => ({ ...memoryOf(row), score: cosine(row.embedding ?? [], values) })),
          recall,
        );
      },
      async forget(id: string) {
        await pool.query(`DELETE FROM ${name} WHERE id = $1`, [id]);
      },
      async close() {
        if (owned) await pool.end();
      },
    };
  } catch (error) {
    if (owned) await pool.end().catch(() => {});
    if (error instanceof TroupeError) throw error;
    throw new TroupeError(
      "MemoryUnavailable",
      `PostgreSQL semantic memory could not be opened: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
};
