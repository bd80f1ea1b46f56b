// Conversation memory (in memory and SQLite) and semantic memory (SQLite with sqlite-vec and plain,
// PostgreSQL's plain fallback against the local server) with embeddings from the Ollama stand-in
// through the real `ollama` client. Every semantic store keeps teams apart and a text once (a
// property checked against a model of it), and migrates a table of an older Troupe.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createOllamaEmbedder } from "../llm/ollama/createOllamaEmbedder.ts";
import { type ConversationMemory, MemoryConversationMemory } from "./ConversationMemory.ts";
import { openPostgresSemanticMemory } from "./PostgresSemanticMemory.ts";
import type { Embedder, SemanticMemory } from "./SemanticMemory.ts";
import { SqliteConversationMemory } from "./SqliteConversationMemory.ts";
import { openSqliteSemanticMemory } from "./SqliteSemanticMemory.ts";

const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

let standIn: OllamaStandIn;
let embedder: Embedder;
let dir: string;

beforeAll(async () => {
  standIn = await startOllamaStandIn({ models: ["nomic-embed-text"] });
  embedder = createOllamaEmbedder({ host: standIn.url, env: {} });
  dir = mkdtempSync(join(tmpdir(), "troupe-memory-"));
});

afterAll(async () => {
  await standIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ["in memory", () => new MemoryConversationMemory()],
  ["SQLite", () => new SqliteConversationMemory({ path: join(dir, `conversation-${Math.random()}.sqlite`) })],
] as const)("conversation memory %s", (_name, open: () => ConversationMemory) => {
  it("keeps each thread's messages in order and gives back the last ones", async () => {
    const memory = open();
    await memory.append("thread-1", { role: "user", content: "what is the load?" });
    await memory.append("thread-2", { role: "user", content: "other thread" });
    await memory.append("thread-1", { role: "assistant", content: "0.4" });
    await memory.append("thread-1", { role: "user", content: "and now?" });
    expect(await memory.history("thread-1", 10)).toEqual([
      { role: "user", content: "what is the load?" },
      { role: "assistant", content: "0.4" },
      { role: "user", content: "and now?" },
    ]);
    expect((await memory.history("thread-1", 2)).map((message) => message.content)).toEqual([
      "0.4",
      "and now?",
    ]);
    expect(await memory.history("thread-1", 0)).toEqual([]);
    await memory.clear("thread-1");
    expect(await memory.history("thread-1", 10)).toEqual([]);
    expect(await memory.history("thread-2", 10)).toHaveLength(1);
  });
});

it("keeps SQLite conversation memory across a reopen", async () => {
  const path = join(dir, "reopen.sqlite");
  const first = new SqliteConversationMemory({ path });
  await first.append("t", { role: "user", content: "remember me" });
  first.close();
  const second = new SqliteConversationMemory({ path });
  expect(await second.history("t", 5)).toEqual([{ role: "user", content: "remember me" }]);
  second.close();
});

const semanticCases = async (memory: SemanticMemory) => {
  const texts = [
    "the disk on host-a filled up with logs",
    "quarterly revenue summary for the watchlist",
    "code review of the retry backoff patch",
  ];
  for (const text of texts)
    await memory.remember(text, { namespace: "research", metadata: { source: "test" } });
  await memory.remember("a memory of another agent", { namespace: "code" });
  const recalled = await memory.recall(texts[1]!, { namespace: "research", limit: 2 });
  expect(recalled).toHaveLength(2);
  expect(recalled[0]?.text).toBe(texts[1]);
  expect(recalled[0]?.score).toBeCloseTo(1, 5);
  expect(recalled[0]?.metadata).toEqual({ source: "test" });
  expect(recalled[0]!.score).toBeGreaterThan(recalled[1]!.score);
  expect((await memory.recall(texts[0]!, { namespace: "code" })).map((item) => item.text)).toEqual([
    "a memory of another agent",
  ]);
  expect(await memory.recall(texts[0]!, { namespace: "research", minScore: 0.999 })).toHaveLength(1);
  await memory.forget(recalled[0]!.id);
  expect((await memory.recall(texts[1]!, { namespace: "research" })).map((item) => item.text)).not.toContain(
    texts[1],
  );
};

describe("semantic memory in SQLite", () => {
  it("recalls by similarity with sqlite-vec (it installs from npm and loads in node:sqlite here)", async () => {
    const memory = openSqliteSemanticMemory({ path: join(dir, "vec.sqlite"), embedder });
    expect(memory.search).toBe("sqlite-vec");
    await semanticCases(memory);
    await memory.close();
  });

  it("recalls the same way with plain cosine", async () => {
    const memory = openSqliteSemanticMemory({ path: ":memory:", embedder, vector: "plain" });
    expect(memory.search).toBe("plain");
    await semanticCases(memory);
    await memory.close();
  });

  it("embeds through the stand-in's /api/embed and names a missing model", async () => {
    expect(standIn.requests.some((request) => request.path === "/api/embed")).toBe(true);
    const missing = createOllamaEmbedder({ host: standIn.url, model: "no-such-embedder", env: {} });
    const memory = openSqliteSemanticMemory({ path: ":memory:", embedder: missing, vector: "plain" });
    const error = await memory.remember("x").catch((caught: unknown) => caught);
    expect(isTroupeError(error, "ModelNotFound")).toBe(true);
    expect((error as Error).message).toContain("ollama pull no-such-embedder");
    await memory.close();
  });
});

describe("the Ollama embedder's deadline", () => {
  it("fails a hung embedding with ModelTimeout naming MODEL_TIMEOUT_EMBED, and closes its request", async () => {
    const hung = await startOllamaStandIn({ models: ["nomic-embed-text"] });
    let release!: () => void;
    hung.holdEmbeds(new Promise<void>((resolve) => (release = resolve)));
    try {
      const slow = createOllamaEmbedder({ host: hung.url, env: { MODEL_TIMEOUT_EMBED: "150ms" } });
      const error = await slow.embed(["x"]).catch((caught: unknown) => caught);
      expect(isTroupeError(error, "ModelTimeout")).toBe(true);
      expect((error as Error).message).toMatch(/did not answer within 150ms .*: raise MODEL_TIMEOUT_EMBED$/);
      await expect.poll(() => hung.requestsTo("/api/embed")[0]?.aborted).toBe(true);
      // MODEL_TIMEOUT stands in for every model call without its own setting, embeddings included.
      const shared = createOllamaEmbedder({ host: hung.url, env: { MODEL_TIMEOUT: "100ms" } });
      const second = await shared.embed(["y"]).catch((caught: unknown) => caught);
      expect((second as Error).message).toMatch(/raise MODEL_TIMEOUT \(or set MODEL_TIMEOUT_EMBED/);
    } finally {
      release();
      await hung.close();
    }
  });
});

describe("semantic memory in PostgreSQL (the local server: no pgvector)", () => {
  const table = `troupe_memories_test_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES });
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it("falls back to real[] and cosine computed in Troupe, and recalls by similarity", async () => {
    const memory = await openPostgresSemanticMemory({ connection: POSTGRES, embedder, table });
    expect(memory.search).toBe("plain");
    await semanticCases(memory);
    await memory.close();
  });

  it("says clearly when PostgreSQL cannot be reached", async () => {
    const error = await openPostgresSemanticMemory({
      connection: "postgres://postgres@127.0.0.1:9/test",
      embedder,
    }).catch((caught: unknown) => caught);
    expect(isTroupeError(error, "MemoryUnavailable")).toBe(true);
    expect((error as Error).message).toContain("PostgreSQL semantic memory could not be opened");
  });
});

/** A fast local embedder (a hash as a vector) that counts what it embeds. */
const hashEmbedder = () => {
  const embedded: string[] = [];
  const embedder: Embedder = {
    model: "hash",
    embed: async (texts) => {
      embedded.push(...texts);
      return texts.map((text) =>
        [...createHash("sha256").update(text).digest().subarray(0, 8)].map((b) => b - 127.5),
      );
    },
  };
  return { embedder, embedded };
};

const TEXTS = ["disk full on host-a", "revenue summary", "retry backoff review", "disk full on host-b"];
const TEAMS = ["alpha", "beta"];
const AGENTS = ["research", "code"];

/**
 * Whatever is remembered, by whichever team and agent, in whatever order: each team and agent recalls
 * exactly the distinct texts it remembered, and each of those was embedded once.
 */
const teamsAndCopiesProperty = (
  open: (run: string, team: string, embedder: Embedder) => Promise<SemanticMemory>,
) =>
  fc.asyncProperty(
    fc.array(
      fc.record({
        team: fc.constantFrom(...TEAMS),
        agent: fc.constantFrom(...AGENTS),
        text: fc.constantFrom(...TEXTS),
      }),
      { maxLength: 12 },
    ),
    async (steps) => {
      const run = `run${Math.random().toString(36).slice(2, 10)}`;
      const { embedder, embedded } = hashEmbedder();
      const stores = new Map<string, SemanticMemory>();
      for (const team of TEAMS) stores.set(team, await open(run, team, embedder));
      try {
        for (const step of steps) await stores.get(step.team)!.remember(step.text, { namespace: step.agent });
        const keys = new Set(steps.map((step) => `${step.team}/${step.agent}/${step.text}`));
        expect(embedded).toHaveLength(keys.size);
        for (const team of TEAMS)
          for (const agent of AGENTS) {
            const recalled = await stores.get(team)!.recall("disk", { namespace: agent, limit: 100 });
            const expected = steps.filter((step) => step.team === team && step.agent === agent);
            expect(recalled.map((memory) => memory.text).sort()).toEqual(
              [...new Set(expected.map((step) => step.text))].sort(),
            );
          }
      } finally {
        for (const store of stores.values()) await store.close();
      }
    },
  );

describe("every semantic store keeps teams apart and a text once", () => {
  it("in SQLite (two teams sharing one file)", async () => {
    await fc.assert(
      teamsAndCopiesProperty(async (run, team, embedder) =>
        openSqliteSemanticMemory({ path: join(dir, `${run}.sqlite`), embedder, team }),
      ),
      { numRuns: 25 },
    );
  });

  it("in PostgreSQL (two teams sharing one table)", async () => {
    const table = `troupe_memories_teams_${process.pid}`;
    try {
      await fc.assert(
        // Each run's teams are its own, so runs sharing the table never meet.
        teamsAndCopiesProperty((run, team, embedder) =>
          openPostgresSemanticMemory({ connection: POSTGRES, embedder, table, team: `${run}-${team}` }),
        ),
        { numRuns: 15 },
      );
    } finally {
      const pool = new pg.Pool({ connectionString: POSTGRES });
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    }
  });
});

describe("a semantic memory table of an older Troupe (no team, copies of a text)", () => {
  it('in PostgreSQL: its rows go to the team "default", each text is kept once', async () => {
    const table = `troupe_memories_old_${process.pid}`;
    const pool = new pg.Pool({ connectionString: POSTGRES });
    const { embedder } = hashEmbedder();
    try {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.query(`CREATE TABLE "${table}" (
        id text PRIMARY KEY, namespace text NOT NULL, text text NOT NULL, metadata jsonb NOT NULL,
        model text NOT NULL, dims integer NOT NULL, embedding real[] NOT NULL, created_at bigint NOT NULL)`);
      await pool.query(`CREATE INDEX "${table}_scope" ON "${table}" (namespace, model, dims)`);
      const old = [
        ["1", "research", "disk full on host-a", 1],
        ["2", "research", "disk full on host-a", 2],
        ["3", "research", "revenue summary", 3],
      ] as const;
      for (const [id, namespace, text, at] of old) {
        const [vector] = await embedder.embed([text]);
        await pool.query(`INSERT INTO "${table}" VALUES ($1, $2, $3, '{}', 'hash', 8, $4, $5)`, [
          id,
          namespace,
          text,
          vector,
          at,
        ]);
      }
      const memory = await openPostgresSemanticMemory({ connection: POSTGRES, embedder, table });
      const recalled = await memory.recall("disk", { namespace: "research" });
      expect(recalled.map((item) => [item.id, item.text]).sort()).toEqual([
        ["1", "disk full on host-a"],
        ["3", "revenue summary"],
      ]);
      expect((await memory.remember("revenue summary", { namespace: "research" })).id).toBe("3");
      await memory.close();
      const other = await openPostgresSemanticMemory({
        connection: POSTGRES,
        embedder,
        table,
        team: "other",
      });
      expect(await other.recall("disk", { namespace: "research" })).toEqual([]);
      await other.close();
      const { rows } = await pool.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
        [table],
      );
      expect(rows.map((row) => row.indexname)).toEqual([`${table}_key`, `${table}_pkey`]);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    }
  });

  it("in SQLite: its rows go to the team that opens the file (it was that namespace's), each text is kept once", async () => {
    const path = join(dir, "old.memory.sqlite");
    const { embedder } = hashEmbedder();
    const db = new DatabaseSync(path);
    db.exec(`CREATE TABLE troupe_memories (id TEXT PRIMARY KEY, namespace TEXT NOT NULL, text TEXT NOT NULL,
      metadata TEXT NOT NULL, model TEXT NOT NULL, dims INTEGER NOT NULL, embedding BLOB NOT NULL,
      created_at INTEGER NOT NULL) STRICT;
      CREATE INDEX troupe_memories_scope ON troupe_memories (namespace, model, dims);`);
    const insert = db.prepare("INSERT INTO troupe_memories VALUES (?, 'research', ?, '{}', 'hash', 8, ?, ?)");
    for (const [id, text, at] of [
      ["1", "disk full on host-a", 1],
      ["2", "disk full on host-a", 2],
      ["3", "revenue summary", 3],
    ] as const) {
      const [vector] = await embedder.embed([text]);
      insert.run(id, text, new Uint8Array(Float32Array.from(vector!).buffer), at);
    }
    db.close();
    const memory = openSqliteSemanticMemory({ path, embedder, team: "alpha", vector: "plain" });
    expect((await memory.recall("disk", { namespace: "research" })).map((item) => item.id).sort()).toEqual([
      "1",
      "3",
    ]);
    await memory.close();
    const other = openSqliteSemanticMemory({ path, embedder, team: "default", vector: "plain" });
    expect(await other.recall("disk", { namespace: "research" })).toEqual([]);
    await other.close();
    const check = new DatabaseSync(path);
    expect(
      check
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'troupe_memories' ORDER BY name",
        )
        .all()
        .map((row) => row.name),
    ).toEqual(["sqlite_autoindex_troupe_memories_1", "troupe_memories_key"]);
    check.close();
  });
});
