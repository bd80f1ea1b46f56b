// The watchdog: heartbeat deadlines — an agent silent past its deadline (waiting for a person does
// not count) is hung: its task is taken away, the agent restarts and the task is retried up to
// `heartbeat.attempts` times — and task deadlines, all on one timer (DeadlineSchedule): a task past
// its deadline fails with Timeout.
import { TroupeError } from "../errors/TroupeError.ts";
import { formatMillis } from "../time/duration.ts";
import type { AgentLifecycle } from "./AgentLifecycle.ts";
import type { AgentSlot, Running } from "./AgentSlot.ts";
import type { Allocation } from "./Allocation.ts";
import type { Breakers } from "./Breakers.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import { toOneAgent } from "./Router.ts";
import type { SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskEntry } from "./TaskEntry.ts";
import type { TaskLedger } from "./TaskLedger.ts";

const DEADLINE_TIMER = "deadlines";

export class Watchdog {
  readonly #state: SupervisorState;
  readonly #dispatch: Dispatcher;
  readonly #ledger: TaskLedger;
  readonly #allocation: Allocation;
  readonly #breakers: Breakers;
  readonly #lifecycle: AgentLifecycle;

  constructor(
    state: SupervisorState,
    parts: {
      dispatch: Dispatcher;
      ledger: TaskLedger;
      allocation: Allocation;
      breakers: Breakers;
      lifecycle: AgentLifecycle;
    },
  ) {
    this.#state = state;
    this.#dispatch = parts.dispatch;
    this.#ledger = parts.ledger;
    this.#allocation = parts.allocation;
    this.#breakers = parts.breakers;
    this.#lifecycle = parts.lifecycle;
  }

  /** A task was accepted: its deadline (its own, else its agent's, else the team's) starts now. */
  startDeadline(entry: TaskEntry, agent: string | undefined, fx: SupervisorEffects): void {
    entry.deadlineMs = entry.task.deadlineMs ?? this.#defaultDeadline(agent);
    if (this.#state.deadlines.add(entry.task.id, entry.deadlineMs, this.#state.clock.now())) {
      fx.unschedule(DEADLINE_TIMER);
      fx.schedule({ type: "troupe.timer.deadline" }, entry.deadlineMs, DEADLINE_TIMER);
    }
  }

  #defaultDeadline(agent: string | undefined): number {
    return (
      (agent && this.#state.slots.get(agent)?.definition.deadlineMs) || this.#state.settings.defaultDeadlineMs
    );
  }

  /** A running task's heartbeat timer fired: wait again, or declare its agent hung. */
  heartbeatDue(taskId: string, attempt: number, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(taskId);
    const slot = entry && this.#state.slotOf(entry);
    const running = slot?.running;
    if (!slot || !running || running.entry !== entry || entry.task.attempt !== attempt) return;
    const deadlineMs = slot.definition.heartbeatDeadlineMs!;
    const silentFor = this.#state.clock.now() - running.lastBeatAt;
    if (running.awaitingHuman || silentFor < deadlineMs) {
      const wait = running.awaitingHuman ? deadlineMs : deadlineMs - silentFor;
      fx.schedule({ type: "troupe.timer.heartbeat", taskId, attempt }, wait, `heartbeat:${taskId}`);
      return;
    }
    this.#hung(slot, running, deadlineMs, fx);
  }

  #hung(slot: AgentSlot, running: Running, deadlineMs: number, fx: SupervisorEffects): void {
    const { entry } = running;
    const agent = slot.definition.name;
    this.#state.settings.bus.publish({ type: "heartbeat.missed", agent, taskId: entry.task.id, deadlineMs });
    const reason = `agent ${agent} missed its heartbeat deadline of ${formatMillis(deadlineMs)}`;
    this.#ledger.takeAway(
      entry,
      new TroupeError("Hung", reason, { data: { agent, taskId: entry.task.id } }),
      fx,
    );
    this.#breakers.failed(slot, reason, fx);
    if (!this.#lifecycle.restart(slot, `hung: ${reason}`, fx)) return;
    if (entry.task.attempt < slot.definition.hungAttempts) {
      this.#retry(entry, reason, fx);
    } else {
      this.#ledger.fail(
        entry,
        new TroupeError("Hung", `${reason} on ${entry.task.attempt} attempt(s); giving up`, {
          data: { agent, attempts: entry.task.attempt },
        }),
        fx,
      );
    }
    this.#dispatch.next(this.#state.slots.get(agent)!, fx);
  }

  /** Put a task back through allocation on its route, as a new attempt. */
  #retry(entry: TaskEntry, reason: string, fx: SupervisorEffects): void {
    const previous = entry.agent!;
    entry.task = { ...entry.task, attempt: entry.task.attempt + 1 };
    entry.controller = undefined;
    entry.state = "retrying";
    this.#state.publishTask(entry, {
      type: "task.retrying",
      taskId: entry.task.id,
      agent: previous,
      attempt: entry.task.attempt,
      reason,
    });
    this.#allocation.allocate(entry, entry.match ?? toOneAgent(`agent:${previous}`, previous), fx);
  }

  /** The deadline timer fired: time out every task due by now, and set the timer for the next one. */
  deadlinesDue(fx: SupervisorEffects): void {
    const now = this.#state.clock.now();
    for (const taskId of this.#state.deadlines.takeDue(now)) this.#deadlineDue(taskId, fx);
    const next = this.#state.deadlines.claimNext();
    if (next !== undefined)
      fx.schedule({ type: "troupe.timer.deadline" }, Math.max(0, next - now), DEADLINE_TIMER);
  }

  #deadlineDue(taskId: string, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(taskId);
    if (!entry || entry.settled) return;
    const error = new TroupeError("Timeout", `task ${taskId} passed its deadline`, {
      data: { agent: entry.agent },
    });
    const slot = this.#ledger.takeAway(entry, error, fx);
    this.#ledger.fail(entry, error, fx);
    if (!slot) return;
    this.#breakers.failed(slot, error.reason, fx);
    this.#dispatch.next(slot, fx);
  }
}
