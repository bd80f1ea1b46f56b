// Which MCP servers the team's agents get tools from, and which agent may use which tool. Read from
// JSON (a file the host names); every mistake is an `InvalidMcpConfig` naming the field.
import { TroupeError } from "../errors/TroupeError.ts";

export type McpServerConfig =
  | {
      readonly name: string;
      readonly transport: "stdio";
      readonly command: string;
      readonly args: readonly string[];
      /** Added to (or, with `inheritEnv: false`, instead of) the parent's environment. */
      readonly env: Readonly<Record<string, string>> | undefined;
      /** Whether the server starts with troupe's own environment (default true). */
      readonly inheritEnv: boolean;
      readonly cwd: string | undefined;
    }
  | {
      readonly name: string;
      readonly transport: "http";
      readonly url: string;
      readonly headers: Readonly<Record<string, string>> | undefined;
    };

export interface McpConfig {
  readonly servers: readonly McpServerConfig[];
  /**
   * Per agent, the tools it may use: exact names (`files_read`), a server's every tool (`files_*`) or
   * all (`*`). An agent not named gets no MCP tool.
   */
  readonly allow: Readonly<Record<string, readonly string[]>>;
}

const SERVER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

const bad = (field: string, problem: string): never => {
  throw new TroupeError("InvalidMcpConfig", `MCP configuration: ${field} ${problem}`, { data: { field } });
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const strings = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
    return bad(field, "must be a list of strings");
  return value as string[];
};

const stringMap = (value: unknown, field: string): Record<string, string> | undefined => {
  if (value === undefined) return undefined;
  if (!isObject(value) || Object.values(value).some((item) => typeof item !== "string"))
    return bad(field, "must be an object of strings");
  return value as Record<string, string>;
};

const boolean = (value: unknown, field: string): boolean =>
  typeof value === "boolean" ? value : bad(field, "must be true or false");

const server = (raw: unknown, index: number): McpServerConfig => {
  const at = `servers[${index}]`;
  if (!isObject(raw)) return bad(at, "must be an object");
  const { name } = raw;
  if (typeof name !== "string" || !SERVER_NAME.test(name))
    return bad(`${at}.name`, "must be a letter then letters, digits or - (at most 32)");
  if (typeof raw.command === "string" && raw.url === undefined) {
    return {
      name,
      transport: "stdio",
      command: raw.command,
      args: raw.args === undefined ? [] : strings(raw.args, `${at}.args`),
      env: stringMap(raw.env, `${at}.env`),
      inheritEnv: raw.inheritEnv === undefined ? true : boolean(raw.inheritEnv, `${at}.inheritEnv`),
      cwd: typeof raw.cwd === "string" ? raw.cwd : undefined,
    };
  }
  if (typeof raw.url === "string" && raw.command === undefined) {
    let url: URL;
    try {
      url = new URL(raw.url);
    } catch {
      return bad(`${at}.url`, `is not a URL: ${JSON.stringify(raw.url)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return bad(`${at}.url`, "must be http(s)");
    return { name, transport: "http", url: url.href, headers: stringMap(raw.headers, `${at}.headers`) };
  }
  return bad(at, 'needs either "command" (stdio) or "url" (streamable HTTP), not both');
};

/** Validate a parsed JSON configuration: `{ servers: [...], allow: { agent: [tools] } }`. */
export const parseMcpConfig = (raw: unknown): McpConfig => {
  if (!isObject(raw)) return bad("the document", "must be a JSON object");
  if (!Array.isArray(raw.servers)) return bad("servers", "must be a list");
  const servers = raw.servers.map(server);
  const names = new Set<string>();
  for (const { name } of servers) {
    if (names.has(name)) bad("servers", `names "${name}" twice`);
    names.add(name);
  }
  const allow: Record<string, readonly string[]> = {};
  if (raw.allow !== undefined) {
    if (!isObject(raw.allow)) return bad("allow", "must be an object of agent → tool names");
    for (const [agent, tools] of Object.entries(raw.allow)) allow[agent] = strings(tools, `allow.${agent}`);
  }
  return { servers, allow };
};

/** Whether `tool` is on an allow-list (exact names, `server_*` prefixes, `*`). */
export const isAllowed = (list: readonly string[] | undefined, tool: string): boolean =>
  (list ?? []).some((entry) =>
    entry === "*" ? true : entry.endsWith("*") ? tool.startsWith(entry.slice(0, -1)) : entry === tool,
  );
