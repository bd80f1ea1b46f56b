// The host's MCP servers and memory stores, from the environment: TROUPE_MCP_CONFIG names a JSON file
// of MCP servers and per-agent allow-lists; conversation and semantic memory live in the data folder
// (SQLite), or semantic memory in PostgreSQL with TROUPE_MEMORY_POSTGRES_URL. A bad value stops the
// start with one line naming it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { redactUrl, TroupeError } from "@troupe/runtime";
import { type McpConfig, parseMcpConfig } from "@troupe/runtime/mcp";

export interface MemoryConfig {
  /** The SQLite file of conversation memory (and of semantic memory without PostgreSQL). */
  readonly path: string;
  /** The team's namespace (TROUPE_NAMESPACE): its semantic memories are kept apart from other teams'. */
  readonly namespace: string;
  /** Semantic memory in PostgreSQL; `url` may hold a password: log `redactedUrl` only. */
  readonly postgres: { readonly url: string; readonly redactedUrl: string } | undefined;
}

export interface ToolsMemoryConfig {
  /** The MCP servers and allow-lists (TROUPE_MCP_CONFIG), with the file they came from. */
  readonly mcp: { readonly file: string; readonly config: McpConfig } | undefined;
  readonly memory: MemoryConfig;
}

const invalid = (source: string, reason: string) => new TroupeError("InvalidCommand", `${source} ${reason}`);

export const readMcpConfigFile = (file: string): McpConfig => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw invalid(
      "TROUPE_MCP_CONFIG",
      `names a file that cannot be read (${file}): ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalid(
      "TROUPE_MCP_CONFIG",
      `names a file that is not JSON (${file}): ${(error as Error).message}`,
    );
  }
  try {
    return parseMcpConfig(raw);
  } catch (error) {
    if (error instanceof TroupeError) throw invalid("TROUPE_MCP_CONFIG", `(${file}): ${error.reason}`);
    throw error;
  }
};

export const resolveToolsMemoryConfig = (
  env: NodeJS.ProcessEnv,
  context: { readonly dataDir: string; readonly namespace: string; readonly cwd: string },
): ToolsMemoryConfig => {
  const file = env.TROUPE_MCP_CONFIG?.trim();
  const mcp = file
    ? { file: resolve(context.cwd, file), config: readMcpConfigFile(resolve(context.cwd, file)) }
    : undefined;
  const url = env.TROUPE_MEMORY_POSTGRES_URL?.trim();
  if (url && !/^postgres(ql)?:\/\//.test(url))
    throw invalid(
      "TROUPE_MEMORY_POSTGRES_URL",
      `must start with postgres:// or postgresql://, got "${redactUrl(url)}"`,
    );
  return {
    mcp,
    memory: {
      path: resolve(context.dataDir, `${context.namespace}.memory.sqlite`),
      namespace: context.namespace,
      postgres: url ? { url, redactedUrl: redactUrl(url) } : undefined,
    },
  };
};
