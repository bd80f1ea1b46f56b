// The agents' tools and memory for `troupe start` and `troupe mcp`: the MCP servers of
// TROUPE_MCP_CONFIG, each connected on its own (each agent gets the tools on its allow-list; a server
// that cannot be reached is named in a warning and retried in the background), conversation memory in
// the data folder's SQLite file, and semantic memory there (sqlite-vec when it loads) or in
// PostgreSQL, embedded by Ollama and kept apart per namespace. A database that cannot be reached is
// logged and the host runs without it.
import type { Logger } from "@troupe/runtime";
import type { LlmTool } from "@troupe/runtime/llm";
import { connectMcp } from "@troupe/runtime/mcp";
import {
  openPostgresSemanticMemory,
  openSqliteSemanticMemory,
  type SemanticMemory,
  SqliteConversationMemory,
  type TeamMemory,
} from "@troupe/runtime/memory";
import { createOllamaEmbedder } from "@troupe/runtime/ollama";
import type { HostConfig } from "../config/hostConfig.ts";

export interface HostToolsMemory {
  /** The tools `agent` may give its model (none without TROUPE_MCP_CONFIG). */
  readonly tools: (agent: string) => readonly LlmTool[];
  readonly memory: TeamMemory;
  close(): Promise<void>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const openHostToolsMemory = async (
  config: Pick<HostConfig, "mcp" | "memory">,
  logger: Logger,
): Promise<HostToolsMemory> => {
  const toolbox = config.mcp ? await connectMcp(config.mcp.config, { logger }) : undefined;
  const conversation = new SqliteConversationMemory({ path: config.memory.path });
  const embedder = createOllamaEmbedder();
  let semantic: SemanticMemory | undefined;
  const { postgres } = config.memory;
  if (postgres) {
    try {
      semantic = await openPostgresSemanticMemory({
        connection: postgres.url,
        embedder,
        team: config.memory.namespace,
        logger,
      });
    } catch (error) {
      logger.log("error", "semantic memory in PostgreSQL not opened: running without it", {
        url: postgres.redactedUrl,
        error: message(error),
      });
    }
  } else {
    semantic = openSqliteSemanticMemory({
      path: config.memory.path,
      embedder,
      team: config.memory.namespace,
      logger,
    });
  }
  logger.log("info", "memory", {
    conversation: config.memory.path,
    semantic: semantic
      ? `${postgres ? postgres.redactedUrl : config.memory.path} (${semantic.search})`
      : null,
    embedModel: embedder.model,
  });
  return {
    tools: (agent) => toolbox?.toolsFor(agent) ?? [],
    memory: { conversation, ...(semantic ? { semantic } : {}) },
    async close() {
      await toolbox?.close();
      await semantic?.close();
      conversation.close();
    },
  };
};
