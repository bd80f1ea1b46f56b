// One agent as the supervisor keeps it: its current incarnation (child actor), state, the task it
// runs now, its mailbox and its circuit breaker. A slot and its breaker outlive restarts;
// incarnations do not.
import type { AnyAgentDefinition } from "../agent/defineAgent.ts";
import type { AgentState } from "../events/catalogue.ts";
import type { StepBudget } from "../llm/taskLlm.ts";
import type { CircuitBreaker } from "./CircuitBreaker.ts";
import type { TaskEntry } from "./TaskEntry.ts";

/** The task an agent runs now. */
export interface Running {
  readonly entry: TaskEntry;
  readonly controller: AbortController;
  readonly startedAt: number;
  lastBeatAt: number;
  awaitingHuman: boolean;
  /** Model calls this run made through ctx.llm, against the agent's maxSteps. */
  readonly steps: StepBudget;
}

export interface AgentSlot {
  readonly definition: AnyAgentDefinition;
  incarnation: number;
  childId: string;
  state: AgentState;
  running: Running | undefined;
  readonly mailbox: TaskEntry[];
  readonly breaker: CircuitBreaker;
  readonly limit: number;
  restarts: number;
}

/**
 * A slot before its first incarnation; `mailboxLimit` applies unless the agent sets its own. The
 * breaker is the agent's breaker actor, which the supervisor spawned beside it.
 */
export const newAgentSlot = (
  definition: AnyAgentDefinition,
  mailboxLimit: number,
  breaker: CircuitBreaker,
): AgentSlot => ({
  definition,
  incarnation: 0,
  childId: "",
  state: "idle",
  running: undefined,
  mailbox: [],
  breaker,
  limit: definition.mailboxLimit ?? mailboxLimit,
  restarts: 0,
});

export const childIdOf = (agent: string, incarnation: number) => `${agent}#${incarnation}`;
