// Conversation memory (in memory and SQLite) and semantic memory (SQLite with sqlite-vec and plain,
// PostgreSQL's plain fallback against the local server) with embeddings from the Ollama stand-in
// through the real `ollama` client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
