// Troupe's MCP server in-process (the SDK's in-memory transport and its own Client): a dispatched
// task whose agent asks a question and an approval reaches the client's user through elicitation —
// the approval shows the action's short hash — and the answers come back into the task.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { bindAction } from "../human/Approval.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import { createSupervisor } from "../supervisor/Team.ts";
import { elicitationGateway } from "./elicitationGateway.ts";
import { createTroupeMcpServer } from "./TroupeMcpServer.ts";

const action = { kind: "write", path: "src/app.ts" };

const writer = defineAgent({
  name: "writer",
  async handle(_task, ctx) {
    const why = await ctx.askHuman("why?");
    const approval = await ctx.askApproval(action);
    return { why, approved: approval.approved, by: approval.by };
  },
});

const connect = async (answer: (message: string) => Record<string, unknown> | undefined) => {
  let gateway: HumanGateway | undefined;
  const human: HumanGateway = {
    ask: (question, context) => gateway!.ask(question, context),
    approve: (request, context) => gateway!.approve!(request, context),
  };
  const team = createSupervisor({ agents: [writer], human });
  const server = createTroupeMcpServer({ team, human });
  gateway = elicitationGateway(server, { by: "assistant-user" });
  const messages: string[] = [];
  const client = new Client({ name: "test", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    messages.push(request.params.message);
    const content = answer(request.params.message);
    return content ? { action: "accept", content } : { action: "decline" };
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return { client, team, messages };
};

const outputOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  JSON.parse((result.content as { text: string }[])[0]!.text) as { status: string; output: unknown };

describe("questions and approvals through MCP elicitation", () => {
  it("asks the client's user and brings the answer and the decision back into the task", async () => {
    const { client, team, messages } = await connect((message) =>
      message.includes("approval") ? { approve: true } : { answer: "the tests need it" },
    );
    const result = await client.callTool({ name: "dispatch", arguments: { text: "edit", agent: "writer" } });
    expect(outputOf(result)).toMatchObject({
      status: "succeeded",
      output: { why: "the tests need it", approved: true, by: "assistant-user" },
    });
    expect(messages).toEqual([
      "writer asks: why?",
      `writer asks for approval of #${bindAction(action).shortHash}: {"kind":"write","path":"src/app.ts"}`,
    ]);
    await client.close();
    await team.drain();
  });

  it("counts a declined approval as denied, and a declined question as an error", async () => {
    const declineApproval = await connect((message) =>
      message.includes("approval") ? undefined : { answer: "ok" },
    );
    const denied = await declineApproval.client.callTool({
      name: "dispatch",
      arguments: { text: "e", agent: "writer" },
    });
    expect(outputOf(denied).output).toMatchObject({ approved: false });
    await declineApproval.client.close();
    await declineApproval.team.drain();

    const declineQuestion = await connect(() => undefined);
    const failed = await declineQuestion.client.callTool({
      name: "dispatch",
      arguments: { text: "e", agent: "writer" },
    });
    expect(failed.isError).toBe(true);
    expect((failed.content as { text: string }[])[0]?.text).toContain("the question was declined");
    await declineQuestion.client.close();
    await declineQuestion.team.drain();
  });

  it("refuses a dispatch over the task size limit with the tool's error, and the next dispatch runs", async () => {
    const { client, team } = await connect(() => ({ answer: "fine", approve: true }));
    const big = await client.callTool({
      name: "dispatch",
      arguments: { text: "x".repeat(1_100_000), agent: "writer" },
    });
    expect(big.isError).toBe(true);
    expect((big.content as { text: string }[])[0]?.text).toBe(
      "InvalidTask: invalid task: the task is 1100000 bytes, over the limit of 1048576 bytes (TROUPE_MAX_TASK_BYTES)",
    );
    const next = await client.callTool({ name: "dispatch", arguments: { text: "edit", agent: "writer" } });
    expect(outputOf(next)).toMatchObject({ status: "succeeded" });
    await client.close();
    await team.drain();
  });
});
