// What the supervisor knows, shared by the modules that make up its core: the agents' slots in start
// order, the open tasks, the shared queue, the fan-outs, the wait-for graph and the deadlines; and
// the few announcements every module makes (a task's event, an agent's state, a warning). Whether
// the team runs, drains or is escalated is the supervisor machine's state, not kept here.
import type { AgentState, RuntimeEventInput, TaskEvent } from "../events/catalogue.ts";
import type { Clock } from "../time/Clock.ts";
import type { AgentSlot, Running } from "./AgentSlot.ts";
import type { CircuitBreaker } from "./CircuitBreaker.ts";
import { DeadlineSchedule } from "./DeadlineSchedule.ts";
import { FanOutJoins } from "./FanOutJoins.ts";
import type { SelfSend } from "./SupervisorEffects.ts";
import type { SupervisorSettings } from "./SupervisorSettings.ts";
import type { TaskEntry } from "./TaskEntry.ts";
import { WaitForGraph } from "./WaitForGraph.ts";

export class SupervisorState {
  readonly settings: SupervisorSettings;
  /** Sends the results of async work (a classifier's answer, a bid) back to the supervisor actor. */
  readonly selfSend: SelfSend;
  /** Each agent's circuit breaker, by agent name: actors the supervisor spawned beside the agents. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly slots = new Map<string, AgentSlot>();
  readonly startOrder: string[] = [];
  readonly tasks = new Map<string, TaskEntry>();
  /** The shared queue of `first-idle` routes: tasks any of their candidates may take. */
  readonly pool: TaskEntry[] = [];
  readonly fanOuts: FanOutJoins;
  readonly waits = new WaitForGraph();
  readonly deadlines = new DeadlineSchedule();

  constructor(
    settings: SupervisorSettings,
    selfSend: SelfSend,
    breakers: ReadonlyMap<string, CircuitBreaker>,
  ) {
    this.settings = settings;
    this.selfSend = selfSend;
    this.breakers = breakers;
    this.fanOuts = new FanOutJoins(settings.bus);
  }

  get clock(): Clock {
    return this.settings.clock;
  }

  /** The slot of the agent a task is assigned to, if any. */
  slotOf(entry: TaskEntry): AgentSlot | undefined {
    return entry.agent ? this.slots.get(entry.agent) : undefined;
  }

  /** The run of `taskId` on `agent`, if that attempt is the one running there now. */
  current(agent: string, taskId: string, attempt: number): Running | undefined {
    const running = this.slots.get(agent)?.running;
    return running && running.entry.task.id === taskId && running.entry.task.attempt === attempt
      ? running
      : undefined;
  }

  publishTask(entry: TaskEntry, input: RuntimeEventInput): void {
    const event = this.settings.bus.publish(input) as TaskEvent;
    entry.handle.record(event);
  }

  setAgentState(slot: AgentSlot, state: AgentState): void {
    if (slot.state === state) return;
    slot.state = state;
    this.settings.bus.publish({ type: "agent.state", agent: slot.definition.name, state });
  }

  warn(message: string, detail: unknown): void {
    this.settings.logger.log("warn", message, { detail });
    this.settings.bus.publish({
      type: "runtime.warning",
      message,
      detail: detail instanceof Error ? detail.message : detail,
    });
  }
}
