// MCP configuration reaching the agents through the real CLI: `troupe start` with TROUPE_MCP_CONFIG
// connects each server on its own and gives each agent exactly the tools its allow-list names — the
// test agent `tooler`, and the code agent's model requests (with the real filesystem server from npm,
// started the README's way, `npx -y`). A server that cannot be started is named in one warning while
// the others' tools work; a stdio server gets troupe's own environment.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { repoRoot, spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";

const dir = mkdtempSync(join(tmpdir(), "troupe-host-mcp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

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

describe("troupe start with TROUPE_MCP_CONFIG", { timeout: 30_000 }, () => {
  it("gives an agent the MCP tools on its allow-list, and only those", async () => {
    const troupe = spawnTroupe(["start"], {
      TROUPE_TEST_AGENTS: "tooler",
      TROUPE_MCP_CONFIG: configFile("mcp.json", [fixture], { tooler: ["fix_add", "fix_shout"] }),
    });
    const listed = await troupe.log("MCP tools listed");
    expect(listed.server).toBe("fix");
    expect(listed.tools).toEqual(["fix_add", "fix_shout", "fix_fail", "fix_env", "fix_exit"]);
    troupe.send('/ask tooler fix_add {"a":2,"b":40}');
    await troupe.line("fix_add → 42");
    troupe.send("/ask tooler fix_fail {}");
    await troupe.line('tooler has no tool "fix_fail" (its tools: fix_add, fix_shout)');
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("names a server it cannot start in one warning, and the other servers' tools work", async () => {
    const troupe = spawnTroupe(["start"], {
      TROUPE_TEST_AGENTS: "tooler",
      TROUPE_MCP_CONFIG: configFile(
        "broken.json",
        [{ name: "gone", command: "/nonexistent/mcp-server" }, fixture],
        { tooler: ["gone_*", "fix_add"] },
      ),
    });
    await troupe.log("troupe started");
    troupe.send('/ask tooler fix_add {"a":2,"b":40}');
    await troupe.line("fix_add → 42");
    troupe.send("/ask tooler gone_x {}");
    await troupe.line('tooler has no tool "gone_x" (its tools: fix_add)');
    const warnings = troupe.logs.filter((record) => record.level === "warn");
    expect(warnings.map((record) => [record.msg, record.server])).toEqual([
      ["MCP server not connected: its tools are missing until it is, retrying", "gone"],
    ]);
    expect(String(warnings[0]?.error)).toContain('MCP server "gone" (/nonexistent/mcp-server)');
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("starts a stdio server with troupe's own environment (proxy settings included)", async () => {
    const troupe = spawnTroupe(["start"], {
      TROUPE_TEST_AGENTS: "tooler",
      HTTPS_PROXY: "http://proxy.test:3128",
      TROUPE_MCP_CONFIG: configFile("env.json", [fixture], { tooler: ["fix_env"] }),
    });
    await troupe.log("troupe started");
    troupe.send('/ask tooler fix_env {"name":"HTTPS_PROXY"}');
    await troupe.line("fix_env → http://proxy.test:3128");
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("gives the code agent's model the tools of its allow-list, from the npm filesystem server", async () => {
    const notes = mkdtempSync(join(dir, "notes-"));
    writeFileSync(join(notes, "launch.md"), "launch: Friday 10:00\n");
    standIn = await startOllamaStandIn({ models: ["coder:tiny"] });
    standIn.reply(
      { toolCalls: [{ name: "files_read_text_file", arguments: { path: join(notes, "launch.md") } }] },
      { content: "The launch is on Friday at 10:00." },
    );
    const troupe = spawnTroupe(["start"], {
      TROUPE_AGENTS: "code",
      OLLAMA_HOST: standIn.url,
      MODEL_CODE: "coder:tiny",
      MODEL_DEFAULT: undefined,
      TROUPE_MCP_CONFIG: configFile(
        "files.json",
        [
          { name: "files", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", notes] },
          fixture,
        ],
        { code: ["files_*"] },
      ),
    });
    await troupe.log("troupe started");
    troupe.send("/ask code when is the launch? see launch.md");
    await troupe.line("The launch is on Friday at 10:00.");
    const chats = standIn.requestsTo("/api/chat");
    const toolNames = (chats[0]?.body?.tools as { function: { name: string } }[] | undefined)?.map(
      (tool) => tool.function.name,
    );
    expect(toolNames).toContain("files_read_text_file");
    expect(toolNames?.every((name) => name.startsWith("files_"))).toBe(true);
    const messages = (chats[1]?.body?.messages ?? []) as { role: string; content: string }[];
    const toolResults = messages.filter((message) => message.role === "tool");
    expect(toolResults.map((message) => message.content)).toEqual(["launch: Friday 10:00\n"]);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });
});
