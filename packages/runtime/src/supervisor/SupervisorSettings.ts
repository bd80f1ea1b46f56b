// What a supervisor is built from: its agents, routes, restart policy, limits, clock, bus and the
// optional ports (people, saved runs, models, tools, memory). Read by every part of the supervisor.
import type { AnyAgentDefinition } from "../agent/defineAgent.ts";
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import type { EventBus } from "../events/EventBus.ts";
import type { Llm, LlmTool } from "../llm/Llm.ts";
import type { Logger } from "../log/Logger.ts";
import type { TeamMemory } from "../memory/TaskMemory.ts";
import type { Clock } from "../time/Clock.ts";
import type { HumanGateway } from "./HumanGateway.ts";
import type { RestartIntensity, RestartStrategy } from "./restartStrategy.ts";
import type { Classifier, Route } from "./routing.ts";
import type { TaskIo } from "./TaskIo.ts";

/** What an escalated team does: stop for good, or restart after `restartAfterMs` · 2^(n−1) (n escalations in a row), capped, jittered. */
export type EscalationPolicy =
  | { readonly kind: "stop" }
  | { readonly kind: "restart"; readonly restartAfterMs: number; readonly maxDelayMs: number };

export interface SupervisorSettings {
  readonly agents: readonly AnyAgentDefinition[];
  readonly routes: readonly Route[];
  readonly classify: Classifier | undefined;
  readonly fallback: string | undefined;
  readonly strategy: RestartStrategy;
  readonly intensity: RestartIntensity;
  /** After an escalation: stop (the actor errors, its parent decides) or restart the team after a backoff. */
  readonly escalation: EscalationPolicy;
  readonly mailboxLimit: number;
  /** The largest task input accepted, JSON-encoded. */
  readonly maxTaskBytes: number;
  readonly defaultDeadlineMs: number;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly human: HumanGateway | undefined;
  readonly snapshots: SnapshotStore | undefined;
  /** The model for a role (`defineAgent({ model })`, else the agent's name). */
  readonly llm: ((role: string) => Llm) | undefined;
  /** The tools an agent may give its model (its allow-list), for `ctx.tools`. */
  readonly tools: ((agent: string) => readonly LlmTool[]) | undefined;
  /** Recording or replay hooks of the tasks' inputs and outputs. */
  readonly io: TaskIo | undefined;
  /** The team's memory stores, for `ctx.memory`. */
  readonly memory: TeamMemory | undefined;
}
