// The supervisor core's contract with the actor system: the effects it asks for (spawn, stop, send,
// timers, escalation), which the supervisor machine performs, and the events that come back to it
// (timers firing, the results of async work such as a classifier's answer or an agent's bid).
import type { AgentHostEvent, AgentHostInput } from "../agent/agentHostMachine.ts";
import type { AnyAgentDefinition } from "../agent/defineAgent.ts";
import type { TroupeError } from "../errors/TroupeError.ts";

export type TimerEvent =
  | { type: "troupe.timer.heartbeat"; taskId: string; attempt: number }
  | { type: "troupe.timer.deadline" }
  | { type: "troupe.timer.breaker"; agent: string }
  | { type: "troupe.timer.auction"; taskId: string };

/** What the core asks of the actor system; implemented by the supervisor machine. */
export interface SupervisorEffects {
  /** Spawn several children in one step (a team of thousands starts in linear time). */
  spawnAll(children: readonly { agent: AnyAgentDefinition; childId: string; input: AgentHostInput }[]): void;
  spawn(agent: AnyAgentDefinition, childId: string, input: AgentHostInput): void;
  stop(childId: string): void;
  send(childId: string, event: AgentHostEvent): void;
  /** Schedule a timer event; `id` must not be scheduled already (every caller uses a fresh or fired id). */
  schedule(event: TimerEvent, delayMs: number, id: string): void;
  unschedule(id: string): void;
  escalate(error: TroupeError): void;
}

/** Sends an event to the supervisor actor itself (results of async work: classifier, bids). */
export type SelfSend = (event: AsyncResultEvent) => void;
export type AsyncResultEvent =
  | { type: "troupe.classified"; taskId: string; agent: string | undefined; error: unknown }
  | { type: "troupe.bid"; taskId: string; agent: string; bid: number | undefined };
