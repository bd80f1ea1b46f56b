// The MCP client (`connectMcp`) against a small test server, over stdio (a child process) and over
// streamable HTTP on 127.0.0.1: tools listed and turned into LlmTools, arguments checked against the
// server's JSON Schema before a call, per-agent allow-lists, and a model's tool loop running them.
import { isTroupeError } from "@troupe/runtime";
import { toolSpecOf } from "@troupe/runtime/llm";
import { connectMcp, type McpToolbox, parseMcpConfig } from "@troupe/runtime/mcp";
import { ScriptedModel } from "@troupe/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startHttpToolServer } from "../fixtures/mcpToolServer.ts";

let http: Awaited<ReturnType<typeof startHttpToolServer>>;
let toolbox: McpToolbox;

beforeAll(async () => {
  http = await startHttpToolServer();
  toolbox = await connectMcp(
    parseMcpConfig({
      servers: [
        {
          name: "local",
          command: `${repoRoot}node_modules/.bin/node`,
          args: ["--conditions=troupe-source", "test/fixtures/mcpToolServer.ts"],
          cwd: repoRoot,
        },
        { name: "remote", url: http.url },
      ],
      allow: { research: ["local_add", "remote_*"], code: ["*"] },
    }),
  );
});

afterAll(async () => {
  await toolbox?.close();
  await http?.close();
});

const signal = () => AbortSignal.timeout(10_000);
const tool = (name: string) => toolbox.tools.find((candidate) => candidate.name === name)!;

describe("MCP tools as LlmTools", () => {
  it("lists every server's tools under <server>_<tool>, and the model sees the server's own JSON Schema", () => {
    expect(toolbox.tools.map((candidate) => candidate.name).sort()).toEqual([
      "local_add",
      "local_fail",
      "local_shout",
      "remote_add",
      "remote_fail",
      "remote_shout",
    ]);
    expect(toolSpecOf(tool("local_add"))).toEqual({
      name: "local_add",
      description: "Add two numbers",
      parameters: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
        additionalProperties: false,
      },
    });
  });

  it("calls a tool over stdio and over streamable HTTP", async () => {
    expect(await tool("local_add").run({ a: 2, b: 3 }, signal())).toBe("5");
    expect(await tool("remote_shout").run({ text: "hi" }, signal())).toBe("HI");
    await expect(tool("remote_fail").run({}, signal())).rejects.toThrow("fail failed on purpose");
  });

  it("gives each agent only the tools on its allow-list", () => {
    expect(
      toolbox
        .toolsFor("research")
        .map((candidate) => candidate.name)
        .sort(),
    ).toEqual(["local_add", "remote_add", "remote_fail", "remote_shout"]);
    expect(toolbox.toolsFor("code")).toHaveLength(6);
    expect(toolbox.toolsFor("watchlist")).toEqual([]);
  });

  it("checks the model's arguments against the tool's schema before calling: a bad call is refused and told to the model", async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: "local_add", arguments: { a: 1 } }] },
      { toolCalls: [{ name: "local_add", arguments: { a: 1, b: "two" } }] },
      { toolCalls: [{ name: "local_shout", arguments: { text: "x" } }] },
      { toolCalls: [{ name: "local_add", arguments: { a: 1, b: 2 } }] },
      "three",
    ]);
    const run = await model.runTools([{ role: "user", content: "1+2?" }], toolbox.toolsFor("research"), {
      signal: signal(),
    });
    expect(run.reply.content).toBe("three");
    expect(run.calls.map((call) => call.outcome)).toEqual(["refused", "refused", "refused", "ran"]);
    expect(run.calls[0]?.result).toContain("must have required property 'b'");
    expect(run.calls[1]?.result).toContain("must be number at /b");
    expect(run.calls[2]?.result).toContain("no tool named");
    expect(run.calls[3]?.result).toBe("3");
  });

  it("names the server it cannot reach", async () => {
    const error = await connectMcp(
      parseMcpConfig({ servers: [{ name: "gone", url: "http://127.0.0.1:9/mcp" }] }),
      { signal: AbortSignal.timeout(5_000) },
    ).catch((caught: unknown) => caught);
    expect(isTroupeError(error, "McpUnavailable")).toBe(true);
    expect((error as Error).message).toContain('MCP server "gone" (http://127.0.0.1:9/mcp)');
  });
});
