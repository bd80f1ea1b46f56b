// What an agent's code is given while it works on a task: cancellation, liveness, progress,
// typed custom events, sub-tasks and a way to ask a person.
import type { Approval, BoundAction } from "../human/Approval.ts";
import type { PollOptions, PollResult, ValidPoll } from "../human/Poll.ts";
import type { Llm, LlmTool } from "../llm/Llm.ts";
import type { TaskMemory } from "../memory/TaskMemory.ts";
import type { Task, TaskInput } from "../task/Task.ts";
import type { Duration } from "../time/duration.ts";

/**
 * What a task's handler (or a machine agent's step) is given. Its members may be taken apart
 * (`handle(task, { progress, llm })`) and called on their own; they are read from the context as
 * they are used, so a spread copy (`{ ...ctx }`) holds only its `signal`.
 */
export interface AgentContext<TEmitted extends { type: string } = { type: string }> {
  /** Aborted when the task is cancelled, times out, loses its fan-out or its agent is declared hung. */
  readonly signal: AbortSignal;
  /** Proof of life: resets the heartbeat deadline. `progress` and `emit` count as heartbeats too. */
  heartbeat(): void;
  /** A human-readable step ("reading", "3/5 files"), shown on the task and counted as a heartbeat. */
  progress(message: string): void;
  /** A typed event of this agent's own, delivered to the task's watchers. */
  emit(event: TEmitted): void;
  /**
   * Submit a sub-task to the team and wait for its result. Waits between agents are tracked, and
   * a wait that would close a cycle fails at once with a `Deadlock` error naming the agents.
   */
  delegate<TOutput = unknown>(input: TaskInput): Promise<TOutput>;
  /** Ask a person; the task shows ✋ until the answer arrives. */
  askHuman(question: string): Promise<string>;
  /**
   * Ask a person to approve one exact action (plain JSON). The approval is bound to the sha256 of the
   * action's canonical JSON and expires (`expiresIn`, default 10m): an answer for another action fails
   * with `ApprovalMismatch`, none in time with `ApprovalExpired`. A denial resolves with
   * `approved: false`. The task shows ✋ while waiting; the decision survives a restart.
   */
  askApproval(action: unknown, options?: { readonly expiresIn?: Duration }): Promise<Approval>;
  /**
   * Put a question to people as a vote on 2–10 numbered choices: it resolves as soon as one choice
   * has `quorum` votes, or at the expiry (default 10m) with the tally and `winner: null`. One vote per
   * person (a later one replaces the earlier), bots never count, `roles` limits who may vote. Bad
   * options fail with `InvalidPoll`; a team whose gateway cannot take votes fails with
   * `InvalidCommand`. The task shows ✋ while the poll is open.
   */
  poll(options: PollOptions): Promise<PollResult>;
  /**
   * The model of this agent's role (`defineAgent({ model })`, resolved by the team's `llm` factory):
   * calls are cancelled with the task, and streamed tokens count as heartbeats and show as progress.
   */
  readonly llm: Llm;
  /**
   * The tools on this agent's allow-list (from the team's `tools`, e.g. MCP servers' tools), to pass
   * to `ctx.llm.runTools`. Empty when the team gives none.
   */
  readonly tools: readonly LlmTool[];
  /**
   * The conversation of the task's thread and semantic recall in this agent's namespace, from the
   * team's `memory` stores (empty answers when the team has none).
   */
  readonly memory: TaskMemory;
  /**
   * The time now, in milliseconds since the epoch, from the team's clock. Read it here rather than
   * from `Date.now()`: the host's trace records each reading and a replay gives the recorded one back.
   */
  now(): number;
  /** A random id (a UUID), recorded like `now()` so a replay makes the same one. */
  randomId(): string;
  /**
   * Wait `duration` ("250ms", "5s" or milliseconds) on the team's clock; rejects with the abort
   * reason when the task is cancelled. Wait here rather than with `setTimeout`: a replay runs on a
   * simulated clock, where a real timer would let the task's deadline pass first.
   */
  sleep(duration: Duration): Promise<void>;
}

/** The input a machine-form agent receives when a task starts it. */
export interface AgentMachineInput<TInput = unknown> {
  readonly task: Task<TInput>;
  readonly ctx: AgentContext;
}

/**
 * How an agent host talks back to its supervisor without a round trip through events:
 * observations and success (failures travel as XState events to the parent).
 */
export interface AgentPort {
  /** The task succeeded (outcomes other than success travel as events to the supervisor). */
  done(agent: string, incarnation: number, taskId: string, attempt: number, output: unknown): void;
  started(agent: string, taskId: string, attempt: number): void;
  /** A machine agent's run moved: its persisted snapshot, to save for a resume after a crash. */
  persist(agent: string, taskId: string, attempt: number, snapshot: unknown): void;
  heartbeat(agent: string, taskId: string, attempt: number): void;
  progress(agent: string, taskId: string, attempt: number, message: string): void;
  emit(agent: string, taskId: string, attempt: number, event: { type: string }): void;
  awaitingHuman(agent: string, taskId: string, attempt: number, question: string): void;
  resumed(agent: string, taskId: string, attempt: number): void;
  delegate(agent: string, parent: Task, input: TaskInput, signal: AbortSignal): Promise<unknown>;
  askHuman(agent: string, task: Task, question: string, signal: AbortSignal): Promise<string>;
  askApproval(
    agent: string,
    task: Task,
    bound: BoundAction,
    expiresIn: Duration | undefined,
    signal: AbortSignal,
  ): Promise<Approval>;
  poll(agent: string, task: Task, poll: ValidPoll, signal: AbortSignal): Promise<PollResult>;
  llm(agent: string, task: Task, signal: AbortSignal): Llm;
  tools(agent: string): readonly LlmTool[];
  memory(agent: string, task: Task, signal: AbortSignal): TaskMemory;
  now(agent: string, task: Task): number;
  randomId(agent: string, task: Task): string;
  sleep(duration: Duration, signal: AbortSignal): Promise<void>;
}
