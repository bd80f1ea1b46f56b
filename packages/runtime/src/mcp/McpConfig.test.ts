import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { jsonSchemaCheck } from "./jsonSchemaCheck.ts";
import { isAllowed, parseMcpConfig } from "./McpConfig.ts";
import { mcpToolName } from "./mcpTool.ts";

const reasonOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (isTroupeError(error, "InvalidMcpConfig")) return error.reason;
    throw error;
  }
  throw new Error("no error");
};

describe("the MCP configuration", () => {
  it("reads stdio and streamable HTTP servers and the allow-lists", () => {
    const config = parseMcpConfig({
      servers: [
        { name: "files", command: "npx", args: ["-y", "some-server"], env: { ROOT: "/srv" } },
        { name: "web", url: "http://127.0.0.1:8080/mcp", headers: { authorization: "Bearer x" } },
        { name: "bare", command: "mcp-bare", inheritEnv: false },
      ],
      allow: { research: ["web_*", "files_read"] },
    });
    expect(config.servers.map((server) => server.transport)).toEqual(["stdio", "http", "stdio"]);
    expect(config.servers.map((server) => server.transport === "stdio" && server.inheritEnv)).toEqual([
      true,
      false,
      false,
    ]);
    expect(config.allow.research).toEqual(["web_*", "files_read"]);
  });

  it("names the field of each mistake", () => {
    expect(reasonOf(() => parseMcpConfig({}))).toBe("MCP configuration: servers must be a list");
    expect(reasonOf(() => parseMcpConfig({ servers: [{ name: "x" }] }))).toContain(
      'servers[0] needs either "command" (stdio) or "url"',
    );
    expect(reasonOf(() => parseMcpConfig({ servers: [{ name: "9x", url: "http://a" }] }))).toContain(
      "servers[0].name",
    );
    expect(reasonOf(() => parseMcpConfig({ servers: [{ name: "x", url: "ftp://a" }] }))).toContain(
      "servers[0].url must be http(s)",
    );
    expect(reasonOf(() => parseMcpConfig({ servers: [{ name: "x", command: "y", inheritEnv: "no" }] }))).toBe(
      "MCP configuration: servers[0].inheritEnv must be true or false",
    );
    expect(reasonOf(() => parseMcpConfig({ servers: [], allow: { code: "files_*" } }))).toBe(
      "MCP configuration: allow.code must be a list of strings",
    );
  });

  it("matches allow-lists by exact name, server prefix or *", () => {
    expect(isAllowed(["files_read"], "files_read")).toBe(true);
    expect(isAllowed(["files_read"], "files_write")).toBe(false);
    expect(isAllowed(["files_*"], "files_write")).toBe(true);
    expect(isAllowed(["*"], "anything")).toBe(true);
    expect(isAllowed(undefined, "files_read")).toBe(false);
    expect(mcpToolName("my-server", "read.file")).toBe("my-server_read_file");
  });

  it("checks values strictly against a JSON Schema, naming the field", () => {
    const check = jsonSchemaCheck(
      { type: "object", properties: { n: { type: "integer" }, tag: { enum: ["a", "b"] } }, required: ["n"] },
      "test",
    );
    expect(check({ n: 1, tag: "a" })).toBeUndefined();
    expect(check({})).toBe("must have required property 'n'");
    expect(check({ n: 1.5, tag: "c" })).toBe(
      "must be integer at /n; must be equal to one of the allowed values at /tag",
    );
  });
});
