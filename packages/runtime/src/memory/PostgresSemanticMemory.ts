// Semantic memory in PostgreSQL (the `pg` package). With the pgvector extension (available on the
// server, and created here if it is not yet) vectors are a `vector` column ranked by the database's
// cosine distance (`<=>`); without it they are `real[]` and ranked by cosine computed here. `search`
// says which. Rows are keyed by team (the host's namespace), namespace (the agent), model and text:
// teams sharing a table never see each other's memories, and a text remembered again is kept once.
// A table of an older Troupe is migrated when opened (see migrateMemoryTable). Every table name is
// quoted; every value is a query parameter.
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
  /** One connection of the pool, for a migration's transaction; given back with `release()`. */
  connect(): Promise<Pick<PostgresPool, "query"> & { release(): void }>;
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
  /**
   * Whose memories these are: the team's namespace (the host's TROUPE_NAMESPACE), default "default".
   * Teams sharing one table never recall each other's memories.
   */
  readonly team?: string;
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

/**
 * Create the table, or bring one of an older Troupe up to date, under a lock so hosts starting
 * together do it once: rows from before teams were kept apart go to the team "default", copies of a
 * text are dropped (the oldest is kept), and one unique index on (team, namespace, model, text) keeps
 * it so — and serves the lookups, replacing the older scope index.
 */
const migrateMemoryTable = async (pool: PostgresPool, table: string, vector: boolean) => {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [table]);
    await client.query(`
CREATE TABLE IF NOT EXISTS "${table}" (
  id          text PRIMARY KEY,
  team        text NOT NULL,
  namespace   text NOT NULL,
  text        text NOT NULL,
  metadata    jsonb NOT NULL,
  model       text NOT NULL,
  dims        integer NOT NULL,
  embedding   ${vector ? "vector" : "real[]"} NOT NULL,
  created_at  bigint NOT NULL
)`);
    await client.query(
      `ALTER TABLE "${table}" ADD COLUMN IF NOT EXISTS team text NOT NULL DEFAULT 'default'`,
    );
    const index = `${table}_key`;
    const { rows } = await client.query<{ found: string | null }>("SELECT to_regclass($1) AS found", [
      `"${index}"`,
    ]);
    if (rows[0]?.found === null) {
      await client.query(`
DELETE FROM "${table}" WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY team, namespace, model, text ORDER BY created_at, id) AS copy
      FROM "${table}"
  ) copies WHERE copy > 1
)`);
      await client.query(`CREATE UNIQUE INDEX "${index}" ON "${table}" (team, namespace, model, md5(text))`);
      await client.query(`DROP INDEX IF EXISTS "${table}_scope"`);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
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
  const team = options.team ?? DEFAULT_NAMESPACE;
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
    await migrateMemoryTable(pool, vector ? `${table}_vec` : table, vector);
    const { embedder } = options;
    const literal = (values: readonly number[]) => (vector ? `[${values.join(",")}]` : values);
    return {
      search: vector ? "pgvector" : "plain",
      async remember(text: string, remember: RememberOptions = {}) {
        const key = [team, remember.namespace ?? DEFAULT_NAMESPACE, embedder.model, text];
        const find = () =>
          pool.query<Row>(
            `SELECT id, text, metadata, created_at FROM ${name}
              WHERE team = $1 AND namespace = $2 AND model = $3 AND md5(text) = md5($4) AND text = $4`,
            key,
          );
        const known = (await find()).rows[0];
        if (known) return memoryOf(known);
        const values = await embedOne(embedder, text, remember.signal);
        const memory: Memory = {
          id: randomUUID(),
          text,
          metadata: remember.metadata ?? {},
          createdAt: Date.now(),
        };
        const inserted = await pool.query(
          `INSERT INTO ${name} (id, team, namespace, text, metadata, model, dims, embedding, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (team, namespace, model, md5(text)) DO NOTHING`,
          [
            memory.id,
            team,
            key[1],
            text,
            JSON.stringify(memory.metadata),
            embedder.model,
            values.length,
            literal(values),
            memory.createdAt,
          ],
        );
        // Remembered by someone else meanwhile: theirs is the one kept.
        const theirs = inserted.rowCount === 0 ? (await find()).rows[0] : undefined;
        return theirs ? memoryOf(theirs) : memory;
      },
      async recall(query: string, recall: RecallOptions = {}): Promise<readonly Recalled[]> {
        const values = await embedOne(embedder, query, recall.signal);
        const scope = [team, recall.namespace ?? DEFAULT_NAMESPACE, embedder.model, values.length];
        if (vector) {
          const { rows } = await pool.query<Row>(
            `SELECT id, text, metadata, created_at, 1 - (embedding <=> $5::vector) AS score FROM ${name}
              WHERE team = $1 AND namespace = $2 AND model = $3 AND dims = $4
              ORDER BY embedding <=> $5::vector LIMIT $6`,
            [...scope, literal(values), recall.limit ?? 5],
          );
          return rank(
            rows.map((row) => ({ ...memoryOf(row), score: Number(row.score) })),
            recall,
          );
        }
        const { rows } = await pool.query<Row>(
          `SELECT id, text, metadata, created_at, embedding FROM ${name}
            WHERE team = $1 AND namespace = $2 AND model = $3 AND dims = $4`,
          scope,
        );
        return rank(
          rows.map((row) => ({ ...memoryOf(row), score: cosine(row.embedding ?? [], values) })),
          recall,
        );
      },
      async forget(id: string) {
        await pool.query(`DELETE FROM ${name} WHERE id = $1 AND team = $2`, [id, team]);
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
