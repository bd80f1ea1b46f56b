// A HumanGateway whose person is the user of the MCP client (a coding assistant): questions and
// approvals go out as MCP elicitations (`elicitation/create`, a form with one field) and the user's
// reply comes back. Used by `troupe mcp` when no chat surface is configured; a client that cannot
// elicit gets a clear error instead of a wait that never ends.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { TroupeError } from "../errors/TroupeError.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";

const cannotElicit = () =>
  new TroupeError(
    "InvalidCommand",
    "the MCP client cannot answer questions (it did not declare the elicitation capability): give the team a surface a person watches",
  );

export const elicitationGateway = (server: Server, options: { by?: string } = {}): HumanGateway => {
  const by = options.by ?? "mcp-client";
  const canElicit = () => server.getClientCapabilities()?.elicitation !== undefined;
  return {
    async ask(question, { agent, signal }) {
      if (!canElicit()) throw cannotElicit();
      const result = await server.elicitInput(
        {
          message: `${agent} asks: ${question}`,
          requestedSchema: {
            type: "object",
            properties: { answer: { type: "string", description: "your answer" } },
            required: ["answer"],
          },
        },
        { signal },
      );
      if (result.action !== "accept" || typeof result.content?.answer !== "string")
        throw new TroupeError(
          "Cancelled",
          `the question was ${result.action === "decline" ? "declined" : "cancelled"}`,
        );
      return result.content.answer;
    },
    async approve(request, { agent, signal }) {
      if (!canElicit()) throw cannotElicit();
      const result = await server.elicitInput(
        {
          message: `${agent} asks for approval of #${request.shortHash}: ${request.canonical}`,
          requestedSchema: {
            type: "object",
            properties: { approve: { type: "boolean", description: `approve action #${request.shortHash}` } },
            required: ["approve"],
          },
        },
        { signal },
      );
      const approved = result.action === "accept" && result.content?.approve === true;
      return { hash: request.hash, approved, by };
    },
  };
};
