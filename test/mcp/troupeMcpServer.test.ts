// Troupe's own MCP server, driven by the SDK's own Client over stdio: `troupe mcp` spawned as the
// client's child process, its tools listed, `dispatch` running a task on the team (waiting for the
// result, or returning the id), `ask_human` answered by the client's user through elicitation, and
// bad arguments refused with the schema's complaint. Its team is `troupe start`'s, built from the same
// settings: the model agents of TROUPE_AGENTS (research, against the Ollama stand-in) take dispatches,
// and their MCP tools come from TROUPE_MCP_CONFIG.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { researchReply } from "../harness/researchReplies.ts";

const asked: string[] = [];
let client: Client;
const dataDir = mkdtempSync(join(tmpdir(), "troupe-mcp-data-"));

beforeAll(async () => {
  client = new Client({ name: "test-assistant", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return { action: "accept", content: { answer: "use the blue one" } };
  });
  const { DISCORD_TOKEN: _token, REDIS_URL: _redis, ...env } = process.env;
  await client.connect(
    new StdioClientTransport({
      command: `${repoRoot}node_modules/.bin/node`,
      args: ["--conditions=troupe-source", "apps/host/src/bin/troupe.ts", "mcp"],
      cwd: repoRoot,
      env: { ...(env as Record<string, string>), TROUPE_DATA_DIR: dataDir },
      stderr: "ignore",
    }),
  );
});

afterAll(async () => {
  await client?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((item) => item.text).join("\n");

describe("troupe mcp", () => {
  it("lists ask_human and dispatch with their JSON Schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["ask_human", "dispatch"]);
    expect(tools[1]?.inputSchema.required).toEqual(["text"]);
  });

  it("dispatches a task to the team and returns its result", async () => {
    const result = await client.callTool({
      name: "dispatch",
      arguments: { text: "hello team", agent: "echo" },
    });
    expect(result.isError).toBe(false);
    const answer = JSON.parse(textOf(result)) as { taskId: string; status: string; output: unknown };
    expect(answer.status).toBe("succeeded");
    expect(JSON.stringify(answer.output)).toContain("hello team");
  });

  it("returns the task id at once with wait=false", async () => {
    const result = await client.callTool({ name: "dispatch", arguments: { text: "later", wait: false } });
    expect(JSON.parse(textOf(result))).toMatchObject({
      status: "queued",
      taskId: expect.stringMatching(/^t-/),
    });
  });

  it("says what went wrong: an unknown agent, bad arguments", async () => {
    const unknown = await client.callTool({ name: "dispatch", arguments: { text: "x", agent: "nobody" } });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/^NoRoute: /);
    const bad = await client.callTool({ name: "dispatch", arguments: { text: 42 } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("must be string at /text");
  });

  it("asks the human through the client (elicitation) and returns the answer", async () => {
    const result = await client.callTool({ name: "ask_human", arguments: { question: "which colour?" } });
    expect(result.isError).toBe(false);
    expect(textOf(result)).toBe("use the blue one");
    expect(asked).toEqual(["mcp asks: which colour?"]);
  });
});

describe("troupe mcp's team", () => {
  let team: Client;
  let standIn: OllamaStandIn;
  const teamDataDir = mkdtempSync(join(tmpdir(), "troupe-mcp-team-"));

  beforeAll(async () => {
    standIn = await startOllamaStandIn({
      models: ["qwen3:8b", "nomic-embed-text"],
      defaultReply: researchReply,
    });
    const config = join(teamDataDir, "mcp.json");
    writeFileSync(
      config,
      JSON.stringify({
        servers: [
          {
            name: "fix",
            command: `${repoRoot}node_modules/.bin/node`,
            args: ["--conditions=troupe-source", "test/fixtures/mcpToolServer.ts"],
            cwd: repoRoot,
          },
        ],
        allow: { tooler: ["fix_add"] },
      }),
    );
    const { DISCORD_TOKEN: _token, REDIS_URL: _redis, MODEL_RESEARCH: _model, ...env } = process.env;
    team = new Client({ name: "test-assistant", version: "1.0.0" });
    await team.connect(
      new StdioClientTransport({
        command: `${repoRoot}node_modules/.bin/node`,
        // The tests' executable: the real main() with the test agents TROUPE_TEST_AGENTS names.
        args: ["--conditions=troupe-source", "apps/host/src/testing/troupeWithTestAgents.ts", "mcp"],
        cwd: repoRoot,
        env: {
          ...(env as Record<string, string>),
          TROUPE_DATA_DIR: teamDataDir,
          TROUPE_AGENTS: "research",
          TROUPE_TEST_AGENTS: "tooler",
          TROUPE_MCP_CONFIG: config,
          OLLAMA_HOST: standIn.url,
          MODEL_DEFAULT: "qwen3:8b",
        },
        stderr: "ignore",
      }),
    );
  });

  afterAll(async () => {
    await team?.close();
    await standIn?.close();
    rmSync(teamDataDir, { recursive: true, force: true });
  });

  const dispatch = async (agent: string, text: string) => {
    const result = await team.callTool({ name: "dispatch", arguments: { text, agent } });
    expect(result.isError, textOf(result)).toBe(false);
    return JSON.parse(textOf(result)) as { status: string; output: Record<string, unknown> };
  };

  it("runs a dispatch on an agent of TROUPE_AGENTS, as troupe start would", async () => {
    const answer = await dispatch("research", "what is DNS?");
    expect(answer.status).toBe("succeeded");
    expect(answer.output).toMatchObject({ question: "what is DNS?", summary: "what is DNS?" });
    expect(standIn.requestsTo("/api/chat").length).toBeGreaterThanOrEqual(2);
  });

  it("gives the agents the MCP tools on their allow-lists", async () => {
    const answer = await dispatch("tooler", 'fix_add {"a":1,"b":2}');
    expect(answer).toMatchObject({ status: "succeeded", output: { text: "fix_add → 3" } });
  });
});
