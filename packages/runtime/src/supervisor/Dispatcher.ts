// Dispatch: hands an agent the next task it should run — the head of its mailbox, else the oldest
// task in the shared queue it may take — with a fresh AbortController, its heartbeat timer and the
// `task.claimed` announcement; and takes a finished or interrupted run off its agent again. The agent
// gets the task without a leading "@its-name": the address routed it and is not part of the request.
import { addressedTo } from "../task/mentions.ts";
import type { AgentSlot, Running } from "./AgentSlot.ts";
import type { SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskEntry } from "./TaskEntry.ts";

export class Dispatcher {
  readonly #state: SupervisorState;

  constructor(state: SupervisorState) {
    this.#state = state;
  }

  /** Start the agent's next task, if it is free and its breaker lets it; else mark it idle when nothing waits. */
  next(slot: AgentSlot, fx: SupervisorEffects): void {
    if (slot.running || !slot.breaker.allowsDispatch) return;
    const entry = slot.mailbox.shift() ?? this.#claimFromPool(slot.definition.name);
    if (!entry) {
      this.#state.setAgentState(slot, "idle");
      return;
    }
    const controller = new AbortController();
    const now = this.#state.clock.now();
    slot.running = {
      entry,
      controller,
      startedAt: now,
      lastBeatAt: now,
      awaitingHuman: false,
      steps: { limit: slot.definition.maxSteps, used: 0 },
    };
    slot.breaker.dispatched();
    entry.agent = slot.definition.name;
    entry.controller = controller;
    this.#state.publishTask(entry, {
      type: "task.claimed",
      taskId: entry.task.id,
      agent: slot.definition.name,
      attempt: entry.task.attempt,
    });
    this.#state.setAgentState(slot, "working");
    const heartbeatMs = slot.definition.heartbeatDeadlineMs;
    if (heartbeatMs !== undefined) {
      const { id, attempt } = entry.task;
      fx.schedule({ type: "troupe.timer.heartbeat", taskId: id, attempt }, heartbeatMs, `heartbeat:${id}`);
    }
    fx.send(slot.childId, {
      type: "troupe.task.assign",
      task: addressedTo(entry.task, slot.definition.name),
      signal: controller.signal,
      snapshot: entry.snapshot,
    });
  }

  /** First come, first served: the oldest pooled task this agent may take. */
  #claimFromPool(agent: string): TaskEntry | undefined {
    const index = this.#state.pool.findIndex((entry) => entry.match?.candidates.includes(agent));
    if (index < 0) return undefined;
    const [entry] = this.#state.pool.splice(index, 1);
    if (entry) {
      entry.agent = agent;
      this.#state.publishTask(entry, {
        type: "task.routed",
        taskId: entry.task.id,
        agent,
        rule: entry.match!.rule,
      });
    }
    return entry;
  }

  /** Detach the running task from its agent and stop its timers. */
  release(slot: AgentSlot, fx: SupervisorEffects): Running {
    const running = slot.running!;
    slot.running = undefined;
    if (slot.definition.heartbeatDeadlineMs !== undefined)
      fx.unschedule(`heartbeat:${running.entry.task.id}`);
    return running;
  }
}
