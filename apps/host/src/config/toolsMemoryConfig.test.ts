import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTroupeError } from "@troupe/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { resolveToolsMemoryConfig } from "./toolsMemoryConfig.ts";

const dir = mkdtempSync(join(tmpdir(), "troupe-mcp-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = { dataDir: "/data", namespace: "team", cwd: dir };

const reasonOf = (env: NodeJS.ProcessEnv): string => {
  try {
    resolveToolsMemoryConfig(env, context);
  } catch (error) {
    if (isTroupeError(error, "InvalidCommand")) return error.reason;
    throw error;
  }
  throw new Error("no error");
};

describe("MCP and memory settings", () => {
  it("reads the MCP file named by TROUPE_MCP_CONFIG (relative to the working directory)", () => {
    writeFileSync(
      join(dir, "mcp.json"),
      JSON.stringify({
        servers: [{ name: "files", command: "files-server" }],
        allow: { research: ["files_*"] },
      }),
    );
    const config = resolveToolsMemoryConfig(
      {
        TROUPE_MCP_CONFIG: "mcp.json",
        TROUPE_MEMORY_POSTGRES_URL: "postgres://troupe:secret@db:5432/troupe",
      },
      context,
    );
    expect(config.mcp?.file).toBe(join(dir, "mcp.json"));
    expect(config.mcp?.config.allow).toEqual({ research: ["files_*"] });
    expect(config.memory).toEqual({
      path: "/data/team.memory.sqlite",
      namespace: "team",
      postgres: {
        url: "postgres://troupe:secret@db:5432/troupe",
        redactedUrl: "postgres://troupe:***@db:5432/troupe",
      },
    });
  });

  it("names what is wrong, never the password", () => {
    expect(reasonOf({ TROUPE_MCP_CONFIG: "missing.json" })).toContain(
      "TROUPE_MCP_CONFIG names a file that cannot be read",
    );
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(reasonOf({ TROUPE_MCP_CONFIG: "bad.json" })).toContain("is not JSON");
    writeFileSync(join(dir, "wrong.json"), JSON.stringify({ servers: [{ name: "x" }] }));
    expect(reasonOf({ TROUPE_MCP_CONFIG: "wrong.json" })).toContain('servers[0] needs either "command"');
    const reason = reasonOf({ TROUPE_MEMORY_POSTGRES_URL: "mysql://u:secret@db/x" });
    expect(reason).toContain("TROUPE_MEMORY_POSTGRES_URL must start with postgres://");
    expect(reason).not.toContain("secret");
  });
});
