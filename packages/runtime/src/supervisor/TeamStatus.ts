// The team's status as people and dashboards read it: each agent's state, incarnation, restarts,
// breaker and queue, and the team's totals. A snapshot of SupervisorState, taken on demand.
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

export interface TeamStatus {
  readonly agents: readonly AgentStatus[];
  readonly queued: number;
  readonly inFlight: number;
  readonly fanOuts: number;
  readonly accepting: boolean;
  readonly escalated: boolean;
}

export const teamStatus = (state: SupervisorState): TeamStatus => {
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
    accepting: state.accepting,
    escalated: state.escalated,
  };
};
