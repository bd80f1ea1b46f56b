// The port through which agents reach a person: a plain question, an approval of an exact action,
// or a poll. The supervisor is given one (the console, Discord, an MCP client…) and hands agents'
// requests to it.
import type { ApprovalGateway } from "../human/requestApproval.ts";
import type { PollGateway } from "../human/requestPoll.ts";
import type { Task } from "../task/Task.ts";

/**
 * A person answering an agent's question (the console, Discord…). `approve` answers `ctx.askApproval`:
 * it gets the exact action and its hash, and answers with that hash, the decision and who decided.
 * `poll` answers `ctx.poll`: people vote on numbered choices until one has the quorum or it expires.
 */
export interface HumanGateway extends ApprovalGateway, PollGateway {
  ask(question: string, context: { task: Task; agent: string; signal: AbortSignal }): Promise<string>;
}
