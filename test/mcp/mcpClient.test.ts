// The MCP client (`connectMcp`) against a small test server, over stdio (a child process) and over
// streamable HTTP on 127.0.0.1: tools listed and turned into LlmTools, arguments checked against the
// server's JSON Schema before a call, per-agent allow-lists, and a model's tool loop running them.
// Each server connects on its own: one that cannot be reached is named in one warning and retried in
// the background while the others' tools work, and joins once it is up; one that dies is reconnected.
import { createServer } from "node:net";
import type { Logger } from "@troupe/runtime";
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
      "local_env",
      "local_exit",
      "local_fail",
      "local_shout",
      "remote_add",
      "remote_env",
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
    ).toEqual(["local_add", "remote_add", "remote_env", "remote_fail", "remote_shout"]);
    expect(toolbox.toolsFor("code")).toHaveLength(9);
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

  it("gives the server's child process troupe's environment, or only its own with inheritEnv: false", async () => {
    process.env.TROUPE_TEST_PROXY = "http://proxy.test:3128";
    const server = {
      command: `${repoRoot}node_modules/.bin/node`,
      args: ["--conditions=troupe-source", "test/fixtures/mcpToolServer.ts"],
      cwd: repoRoot,
    };
    const both = await connectMcp(
      parseMcpConfig({
        servers: [
          { name: "inherits", ...server, env: { OWN: "yes" } },
          { name: "bare", ...server, env: { OWN: "yes" }, inheritEnv: false },
        ],
      }),
    );
    try {
      const env = (name: string) => both.tools.find((candidate) => candidate.name === name)!;
      expect(await env("inherits_env").run({ name: "TROUPE_TEST_PROXY" }, signal())).toBe(
        "http://proxy.test:3128",
      );
      expect(await env("inherits_env").run({ name: "OWN" }, signal())).toBe("yes");
      expect(await env("bare_env").run({ name: "TROUPE_TEST_PROXY" }, signal())).toBe("(unset)");
      expect(await env("bare_env").run({ name: "OWN" }, signal())).toBe("yes");
    } finally {
      delete process.env.TROUPE_TEST_PROXY;
      await both.close();
    }
  });
});

/** A port nothing listens on (yet). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const recordingLogger = () => {
  const records: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const logger: Logger = { log: (level, msg, fields = {}) => records.push({ level, msg, fields }) };
  return { logger, records };
};

describe("each MCP server on its own", () => {
  it("names a server it cannot reach in one warning, serves the others' tools, and adds its tools once it is up", async () => {
    const port = await freePort();
    const { logger, records } = recordingLogger();
    const partial = await connectMcp(
      parseMcpConfig({
        servers: [
          { name: "late", url: `http://127.0.0.1:${port}/mcp` },
          { name: "gone", command: "/nonexistent/mcp-server" },
          { name: "up", url: http.url },
        ],
        allow: { research: ["late_add", "up_add", "gone_add"] },
      }),
      { logger, backoff: { base: "20ms", max: "100ms" } },
    );
    let late: Awaited<ReturnType<typeof startHttpToolServer>> | undefined;
    try {
      expect(partial.toolsFor("research").map((candidate) => candidate.name)).toEqual(["up_add"]);
      // The two are waiting for their next attempt, or already at it.
      expect(partial.servers().map(({ name, state }) => [name, state === "connected"])).toEqual([
        ["late", false],
        ["gone", false],
        ["up", true],
      ]);
      expect(partial.servers()[0]?.error).toContain(`MCP server "late" (http://127.0.0.1:${port}/mcp)`);
      // A few retries fail while nothing listens: still one warning per server.
      await expect
        .poll(() => records.filter((record) => record.msg === "MCP server still not connected").length)
        .toBeGreaterThanOrEqual(4);
      const warnings = records.filter((record) => record.level === "warn");
      expect(warnings.map((record) => record.fields.server).sort()).toEqual(["gone", "late"]);
      expect(String(warnings.find((record) => record.fields.server === "gone")?.fields.error)).toContain(
        'MCP server "gone" (/nonexistent/mcp-server)',
      );

      late = await startHttpToolServer(port);
      await expect
        .poll(() => partial.toolsFor("research").map((candidate) => candidate.name))
        .toEqual(["late_add", "up_add"]);
      expect(await partial.toolsFor("research")[0]!.run({ a: 1, b: 1 }, signal())).toBe("2");
      expect(records.find((record) => record.fields.server === "late" && record.level === "info")?.msg).toBe(
        "MCP tools listed",
      );
    } finally {
      await partial.close();
      await late?.close();
    }
  });

  it("reconnects a stdio server whose process ended, with one warning", async () => {
    const { logger, records } = recordingLogger();
    const crashing = await connectMcp(
      parseMcpConfig({
        servers: [
          {
            name: "local",
            command: `${repoRoot}node_modules/.bin/node`,
            args: ["--conditions=troupe-source", "test/fixtures/mcpToolServer.ts"],
            cwd: repoRoot,
          },
        ],
      }),
      { logger, backoff: { base: "20ms", max: "100ms" } },
    );
    try {
      const run = (name: string, args: Record<string, unknown>) =>
        crashing.tools.find((candidate) => candidate.name === name)!.run(args, signal());
      expect(await run("local_exit", {})).toBe("exiting");
      await expect.poll(() => records.filter((record) => record.level === "warn").length).toBe(1);
      await expect.poll(() => crashing.servers()[0]?.state, { timeout: 10_000 }).toBe("connected");
      expect(await run("local_add", { a: 20, b: 22 })).toBe("42");
      expect(records.filter((record) => record.msg === "MCP tools listed")).toHaveLength(2);
    } finally {
      await crashing.close();
    }
  });
});
