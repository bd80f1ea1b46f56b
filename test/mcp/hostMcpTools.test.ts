// MCP configuration reaching an agent through the real CLI: `troupe start` with TROUPE_MCP_CONFIG
// naming the fixture server (stdio) connects it, and the test agent `tooler` gets exactly the tools
// its allow-list names; a server that cannot be started is logged and the host runs on.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";

const dir = mkdtempSync(join(tmpdir(), "troupe-host-mcp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configFile = (name: string, servers: unknown[], allow: Record<string, string[]>) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ servers, allow }));
  return file;
};

const fixture = {
  name: "fix",
  command: `${repoRoot}node_modules/.bin/node`,
  args: ["--conditions=troupe-source", "test/fixtures/mcpToolServer.ts"],
  cwd: repoRoot,
};

describe("troupe start with TROUPE_MCP_CONFIG", () => {
  it("gives an agent the MCP tools on its allow-list, and only those", async () => {
    const troupe = spawnTroupe(["start"], {
      TROUPE_TEST_AGENTS: "tooler",
      TROUPE_MCP_CONFIG: configFile("mcp.json", [fixture], { tooler: ["fix_add", "fix_shout"] }),
    });
    const listed = await troupe.log("MCP tools listed");
    expect(listed.tools).toEqual(["fix_add", "fix_shout", "fix_fail"]);
    troupe.send('/ask tooler fix_add {"a":2,"b":40}');
    await troupe.line("fix_add → 42");
    troupe.send("/ask tooler fix_fail {}");
    await troupe.line('tooler has no tool "fix_fail" (its tools: fix_add, fix_shout)');
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("logs a server it cannot start and runs on without its tools", async () => {
    const troupe = spawnTroupe(["start"], {
      TROUPE_TEST_AGENTS: "tooler",
      TROUPE_MCP_CONFIG: configFile("broken.json", [{ name: "gone", command: "/nonexistent/mcp-server" }], {
        tooler: ["*"],
      }),
    });
    const logged = await troupe.log("MCP servers not connected: the agents run without their tools");
    expect(String(logged.error)).toContain('MCP server "gone"');
    troupe.send("/ask tooler gone_x {}");
    await troupe.line('tooler has no tool "gone_x" (its tools: none)');
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });
});
