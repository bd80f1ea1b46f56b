// Troupe's own MCP server, so an external agent (a coding assistant) can use the team: `ask_human`
// puts a question to the team's HumanGateway (the surface a person watches) and returns the answer;
// `dispatch` submits a task to the supervisor and returns its result (or, with `wait: false`, its id).
// Arguments are checked against each tool's JSON Schema before anything runs.
import type { Readable, Writable } from "node:stream";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import type { Team } from "../supervisor/Team.ts";
import { newId, type Task } from "../task/Task.ts";
import { jsonSchemaCheck } from "./jsonSchemaCheck.ts";
import { CallToolRequestSchema, ListToolsRequestSchema, Server, StdioServerTransport } from "./mcpSdk.ts";

export interface TroupeMcpServerOptions {
  readonly team: Team;
  /** Who answers `ask_human`; by default the server's own client, through MCP elicitation. */
  readonly human?: HumanGateway;
  readonly version?: string;
}

export const troupeMcpTools = [
  {
    name: "ask_human",
    description:
      "Ask the person watching the Troupe team a question and wait for the answer (use it for decisions you must not take alone).",
    inputSchema: {
      type: "object",
      properties: {
        question: { type: "string", minLength: 1, description: "the question, in one or two sentences" },
      },
      required: ["question"],
      additionalProperties: false,
    },
  },
  {
    name: "dispatch",
    description:
      "Give a task to the Troupe team (routed by its rules, or to the named agent) and return its result; with wait=false return its task id at once.",
    inputSchema: {
      type: "object",
      properties: {
        text: { type: "string", minLength: 1, description: "what to do" },
        agent: { type: "string", description: "the agent to give it to (optional: the team routes it)" },
        wait: { type: "boolean", description: "wait for the result (default true)" },
      },
      required: ["text"],
      additionalProperties: false,
    },
  },
] as const;

const checks = new Map(
  troupeMcpTools.map((tool) => [tool.name, jsonSchemaCheck(tool.inputSchema, tool.name)]),
);

const text = (value: string, isError = false) => ({
  content: [{ type: "text" as const, text: value }],
  isError,
});

const messageOf = (error: unknown) =>
  isTroupeError(error)
    ? `${error._tag}: ${error.reason}`
    : error instanceof Error
      ? error.message
      : String(error);

/** An MCP server (not yet connected) exposing the team; connect it to a transport (stdio for `troupe mcp`). */
export const createTroupeMcpServer = (options: TroupeMcpServerOptions): Server => {
  const server = new Server(
    { name: "troupe", version: options.version ?? "0.1.0" },
    {
      capabilities: { tools: {} },
      instructions: "Troupe: a team of local agents. dispatch gives it work; ask_human asks its person.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: troupeMcpTools.map((tool) => ({ ...tool })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {} } = request.params;
    const check = checks.get(name as never);
    if (!check) return text(`there is no tool named "${name}": the tools are ask_human and dispatch`, true);
    const problem = check(args);
    if (problem) return text(`the arguments of ${name} do not match its schema: ${problem}`, true);
    try {
      if (name === "ask_human") {
        const question = String(args.question);
        const human = options.human;
        if (!human) return text("this Troupe has no human gateway to ask", true);
        const task: Task = {
          id: newId("mcp"),
          text: question,
          input: question,
          channel: undefined,
          command: undefined,
          needs: [],
          from: "mcp",
          attempt: 1,
          parentTaskId: undefined,
          fanOutId: undefined,
          createdAt: Date.now(),
          deadlineMs: undefined,
          conversation: [],
          notes: [],
        } as Task;
        return text(await human.ask(question, { task, agent: "mcp", signal: extra.signal }));
      }
      const run = options.team.submit({
        text: String(args.text),
        ...(typeof args.agent === "string" ? { agent: args.agent } : {}),
        from: "mcp",
      });
      if (args.wait === false) {
        run.result.catch(() => {}); // followed elsewhere (events); nobody waits here
        return text(JSON.stringify({ taskId: run.id, status: "queued" }));
      }
      const onAbort = () => run.cancel("the MCP client cancelled the call");
      extra.signal.addEventListener("abort", onAbort, { once: true });
      try {
        const output = await run.result;
        return text(JSON.stringify({ taskId: run.id, status: "succeeded", output }));
      } finally {
        extra.signal.removeEventListener("abort", onAbort);
      }
    } catch (error) {
      return text(messageOf(error), true);
    }
  });
  return server;
};

/** Serve an MCP server on a pair of streams (stdin/stdout for `troupe mcp`). */
export const serveMcpOnStdio = (server: Server, stdin: Readable, stdout: Writable): Promise<void> =>
  server.connect(new StdioServerTransport(stdin, stdout));
