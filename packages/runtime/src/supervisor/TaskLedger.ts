// Task bookkeeping: the open tasks from the moment they are queued until they settle — succeeded,
// failed or cancelled — with what settling releases (deadline, wait-for edge, auction timer, saved
// run), the fan-out branches a settled branch decides, cancellation (of a task, its sub-tasks, a
// whole fan-out) and the waiters for an idle team.
import { TroupeError } from "../errors/TroupeError.ts";
import type { RuntimeEventInput, TaskState } from "../events/catalogue.ts";
import type { AgentSlot } from "./AgentSlot.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import type { Losers } from "./FanOutJoins.ts";
import type { BranchOutcome } from "./joinPolicy.ts";
import type { SavedRuns } from "./SavedRuns.ts";
import type { SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskEntry } from "./TaskEntry.ts";

/**
 * A failure that interrupts a run rather than ending it: the team stops or escalates, and a durable
 * queue delivers the task again, resuming its saved run.
 */
const interrupts = (tag: string): boolean => tag === "ShuttingDown" || tag === "Escalated";

export class TaskLedger {
  readonly #state: SupervisorState;
  readonly #dispatch: Dispatcher;
  readonly #saved: SavedRuns;
  #idleWaiters: (() => void)[] = [];

  constructor(state: SupervisorState, dispatch: Dispatcher, saved: SavedRuns) {
    this.#state = state;
    this.#dispatch = dispatch;
    this.#saved = saved;
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.#state.tasks.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * The team is stopping: every open task fails with ShuttingDown (running ones' signals abort).
   * Unlike a cancellation, saved runs are kept, so a durable queue delivers them again after a restart.
   */
  interruptAll(fx: SupervisorEffects, reason: string): void {
    const error = new TroupeError("ShuttingDown", reason);
    for (const entry of [...this.#state.tasks.values()]) {
      this.takeAway(entry, error, fx);
      this.fail(entry, error, fx);
    }
  }

  /** Cancel a task or a whole fan-out by id; false when nothing open has that id. */
  cancel(id: string, reason: string, fx: SupervisorEffects): boolean {
    if (this.#state.fanOuts.has(id)) {
      this.#cancelLosers(this.#state.fanOuts.cancel(id, reason), fx);
      return true;
    }
    const entry = this.#state.tasks.get(id);
    if (!entry || entry.settled) return false;
    const error = new TroupeError("Cancelled", reason, { data: { taskId: id } });
    const slot = this.takeAway(entry, error, fx);
    this.#settle(
      entry,
      "cancelled",
      { type: "task.cancelled", taskId: id, agent: entry.agent ?? null, reason },
      fx,
    );
    this.#reportFailure(entry, error);
    entry.handle.reject(error);
    if (slot) this.#dispatch.next(slot, fx);
    for (const child of [...this.#state.tasks.values()]) {
      if (child.task.parentTaskId === id) this.cancel(child.task.id, `parent task ${id} was cancelled`, fx);
    }
    return true;
  }

  /**
   * Take an open task away from wherever it is, its signal aborted with `error`: off its agent (which
   * returns to idle) when it runs, out of its queue when it waits. Returns the slot it ran on.
   */
  takeAway(entry: TaskEntry, error: TroupeError, fx: SupervisorEffects): AgentSlot | undefined {
    const slot = this.#state.slotOf(entry);
    if (slot?.running?.entry === entry) {
      this.#dispatch.release(slot, fx).controller.abort(error);
      fx.send(slot.childId, { type: "troupe.task.cancel", taskId: entry.task.id });
      return slot;
    }
    entry.controller?.abort(error);
    this.#unqueue(entry);
    return undefined;
  }

  #unqueue(entry: TaskEntry): void {
    const from = this.#state.slotOf(entry)?.mailbox;
    for (const queue of [from, this.#state.pool]) {
      const index = queue?.indexOf(entry) ?? -1;
      if (index >= 0) queue!.splice(index, 1);
    }
  }

  /** The task's agent finished it: resolve its run (and decide its fan-out, if it is a branch). */
  succeed(entry: TaskEntry, output: unknown, durationMs: number, fx: SupervisorEffects): void {
    this.#settle(
      entry,
      "succeeded",
      { type: "task.succeeded", taskId: entry.task.id, agent: entry.agent!, durationMs },
      fx,
    );
    this.#state.settings.io?.settled?.(entry.task, entry.agent ?? null, { status: "succeeded", output });
    entry.handle.resolve(output);
    this.#branchSettled(entry, { status: "succeeded", output }, fx);
  }

  /**
   * Fail an open task (once: a settled task stays as it settled). The failure is the outcome of this
   * run — also when a durable queue retries the task, each delivery being a run of its own — unless
   * it interrupts the run, which goes on elsewhere.
   */
  fail(entry: TaskEntry, error: TroupeError, fx: SupervisorEffects): void {
    if (entry.settled) return;
    this.#settle(
      entry,
      "failed",
      {
        type: "task.failed",
        taskId: entry.task.id,
        agent: entry.agent ?? null,
        error: { tag: error._tag, reason: error.reason },
      },
      fx,
    );
    if (!interrupts(error._tag)) this.#reportFailure(entry, error);
    entry.handle.reject(error);
    this.#branchSettled(entry, { status: "failed", error }, fx);
  }

  /** Tell the task's io (its recording) that the task failed with `error`. */
  #reportFailure(entry: TaskEntry, error: TroupeError): void {
    this.#state.settings.io?.settled?.(entry.task, entry.agent ?? null, {
      status: "failed",
      error: { tag: error._tag, reason: error.reason },
    });
  }

  #settle(entry: TaskEntry, state: TaskState, event: RuntimeEventInput, fx: SupervisorEffects): void {
    entry.settled = true;
    entry.state = state;
    this.#state.deadlines.remove(entry.task.id, entry.deadlineMs);
    // Interrupted, not over: a durable queue delivers the task again, resuming its saved run.
    const interrupted = event.type === "task.failed" && interrupts(event.error.tag);
    // Answers may be saved when this run asked people, or a run before the crash it resumes did.
    if (entry.persisted && !interrupted)
      this.#saved.forget(entry.task.id, entry.askedPeople || entry.snapshot !== undefined);
    if (entry.auction) fx.unschedule(`auction:${entry.task.id}`);
    if (entry.waitEdge) this.#state.waits.remove(entry.waitEdge.from, entry.waitEdge.to);
    this.#state.tasks.delete(entry.task.id);
    this.#state.publishTask(entry, event);
    this.checkIdle();
  }

  /** Wake `whenIdle` waiters once no task is open. */
  checkIdle(): void {
    if (this.#state.tasks.size > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #branchSettled(entry: TaskEntry, outcome: BranchOutcome, fx: SupervisorEffects): void {
    const { fanOutId, id } = entry.task;
    if (fanOutId) this.#cancelLosers(this.#state.fanOuts.branchSettled(fanOutId, id, outcome), fx);
  }

  #cancelLosers(losers: Losers | undefined, fx: SupervisorEffects): void {
    for (const taskId of losers?.taskIds ?? []) this.cancel(taskId, losers!.reason, fx);
  }
}
