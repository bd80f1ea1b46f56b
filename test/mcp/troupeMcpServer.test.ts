// Troupe's own MCP server, driven by the SDK's own Client over stdio: `troupe mcp` spawned as the
// client's child process, its tools listed, `dispatch` running a task on the team (waiting for the
// result, or returning the id), `ask_human` answered by the client's user through elicitation, and
// bad arguments refused with the schema's complaint.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../apps/host/src/testing/spawnTroupe.ts";

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
