// The team's status as people and dashboards read it: where the team is in its life (the supervisor
// machine's state, and why and until when it is escalated), each agent's state, incarnation,
// restarts, breaker and queue, and the team's totals. A snapshot taken on demand.
import type { AgentState } from "../events/catalogue.ts";
import type { CircuitBreaker } from "./CircuitBreaker.ts";
import type { SupervisorState } from "./SupervisorState.ts";

export interface AgentStatus {
  readonly name: string;
  readonly state: AgentState;
  readonly incarnation: number;
  readonly restarts: number;
  readonly breaker: CircuitBreaker["state"];
  readonly failures: number;
  readonly queue: number;
  readonly task: string | undefined;
  readonly capabilities: readonly string[];
  readonly description: string;
}

/** The supervisor machine's state; `stopped` once the team was stopped (or gave up for good). */
export type TeamLifecycle = "running" | "draining" | "escalated" | "restarting" | "stopped";

/** Why the team escalated, since when, and when it restarts (undefined: it does not). */
export interface Escalation {
  readonly reason: string;
  readonly since: number;
  readonly restartAt: number | undefined;
}

export interface TeamLife {
  readonly lifecycle: TeamLifecycle;
  /** Set while the team is escalated or restarting. */
  readonly escalation: Escalation | undefined;
}

export interface TeamStatus extends TeamLife {
  readonly agents: readonly AgentStatus[];
  readonly queued: number;
  readonly inFlight: number;
  readonly fanOuts: number;
  /** The team takes tasks now (it runs). */
  readonly accepting: boolean;
  /** The team gave up (escalated, or restarting after that). */
  readonly escalated: boolean;
}

export const teamStatus = (state: SupervisorState, life: TeamLife): TeamStatus => {
  let queued = state.pool.length;
  let inFlight = 0;
  const agents = state.startOrder.map((name): AgentStatus => {
    const slot = state.slots.get(name)!;
    queued += slot.mailbox.length;
    if (slot.running) inFlight += 1;
    return {
      name,
      state: slot.state,
      incarnation: slot.incarnation,
      restarts: slot.restarts,
      breaker: slot.breaker.state,
      failures: slot.breaker.failures,
      queue: slot.mailbox.length,
      task: slot.running?.entry.task.id,
      capabilities: slot.definition.capabilities,
      description: slot.definition.description,
    };
  });
  return {
    agents,
    queued,
    inFlight,
    fanOuts: state.fanOuts.size,
    ...life,
    accepting: life.lifecycle === "running",
    escalated: life.escalation !== undefined,
  };
};
