// @troupe/runtime/memory: conversation memory per task thread (in memory, SQLite) and semantic memory
// (texts recalled by similarity; SQLite with sqlite-vec or plain, PostgreSQL with pgvector or plain).
// The embedder is a port: `createOllamaEmbedder` from `@troupe/runtime/ollama`.
export { type ConversationMemory, MemoryConversationMemory } from "./ConversationMemory.ts";
export {
  openPostgresSemanticMemory,
  type PostgresSemanticMemoryOptions,
} from "./PostgresSemanticMemory.ts";
export {
  cosine,
  type Embedder,
  type Memory,
  type Recalled,
  type RecallOptions,
  type RememberOptions,
  type SemanticMemory,
} from "./SemanticMemory.ts";
export { SqliteConversationMemory } from "./SqliteConversationMemory.ts";
export { openSqliteSemanticMemory, type SqliteSemanticMemoryOptions } from "./SqliteSemanticMemory.ts";
export { type TaskMemory, type TeamMemory, taskMemory } from "./TaskMemory.ts";
