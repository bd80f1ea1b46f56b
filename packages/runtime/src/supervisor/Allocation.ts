// Allocation: which of a route's candidate agents gets a task — least loaded, first idle (through
// the shared queue) or an auction of bids — with circuit breakers deciding who may take work, and
// the queueing that follows: the wait-for edge of a sub-task (refused when it closes a deadlock),
// the agent's mailbox limit, and `task.routed`.
import { TroupeError } from "../errors/TroupeError.ts";
import type { Task } from "../task/Task.ts";
import type { AgentSlot } from "./AgentSlot.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import type { RouteMatch } from "./routing.ts";
import type { AsyncResultEvent, SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskEntry } from "./TaskEntry.ts";
import type { TaskLedger } from "./TaskLedger.ts";

/** The error of a task no agent can take, naming what was tried. */
export const noRoute = (task: Task, tried: readonly string[]): TroupeError => {
  const what = task.command ?? (task.text ? `"${task.text.slice(0, 60)}"` : "the task");
  return new TroupeError("NoRoute", `no agent can take ${what}; tried: ${tried.join(", ")}`, {
    data: { tried, channel: task.channel, command: task.command, needs: task.needs },
  });
};

const mailboxFull = (what: string, limit: number): TroupeError =>
  new TroupeError("MailboxFull", `${what} is full (${limit} tasks); try again later or raise mailbox.limit`, {
    data: { limit },
  });

export class Allocation {
  readonly #state: SupervisorState;
  readonly #dispatch: Dispatcher;
  readonly #ledger: TaskLedger;

  constructor(state: SupervisorState, dispatch: Dispatcher, ledger: TaskLedger) {
    this.#state = state;
    this.#dispatch = dispatch;
    this.#ledger = ledger;
  }

  /** Give the task to one of the match's candidates (or the shared queue, or an auction); fail it when none can. */
  allocate(entry: TaskEntry, match: RouteMatch, fx: SupervisorEffects): void {
    entry.match = match;
    const known = match.candidates.filter((name) => this.#state.slots.has(name));
    if (known.length === 0) {
      return this.#ledger.fail(
        entry,
        noRoute(entry.task, [`${match.rule} → ${match.candidates.join(", ")} (no such agent)`]),
        fx,
      );
    }
    const open = known.filter((name) => this.#state.slots.get(name)!.breaker.state !== "closed");
    const usable = known.filter((name) => !open.includes(name));
    if (usable.length === 0) {
      // Half-open agents still take a task as their one probe.
      const probe = open.find((name) => this.#state.slots.get(name)!.breaker.allowsDispatch);
      if (probe) return this.#enqueue(entry, probe, fx);
      const described = open.map((name) => {
        const { lastFailure } = this.#state.slots.get(name)!.breaker;
        return lastFailure ? `${name} (last failure: ${lastFailure})` : name;
      });
      return this.#ledger.fail(
        entry,
        new TroupeError(
          "BreakerOpen",
          `the circuit breaker of ${described.join(", ")} is open; try again later`,
          {
            data: { agents: open, rule: match.rule },
          },
        ),
        fx,
      );
    }
    switch (match.allocation.kind) {
      case "least-loaded":
        return this.#enqueue(entry, this.#leastLoaded(usable), fx);
      case "first-idle": {
        const idle = usable.find((name) => this.#isIdle(this.#state.slots.get(name)!));
        if (idle) return this.#enqueue(entry, idle, fx);
        if (this.#state.pool.length >= this.#state.settings.mailboxLimit) {
          return this.#ledger.fail(
            entry,
            mailboxFull(`the shared queue of ${match.rule}`, this.#state.settings.mailboxLimit),
            fx,
          );
        }
        entry.state = "queued";
        this.#state.pool.push(entry);
        return;
      }
      case "auction":
        return this.#openAuction(entry, usable, match.allocation.bidDeadlineMs, fx);
    }
  }

  /** Agents that would start a task at once. */
  idleAgents(): number {
    let idle = 0;
    for (const slot of this.#state.slots.values()) if (this.#isIdle(slot)) idle += 1;
    return idle;
  }

  /**
   * Whether a task with this match would start at once: one of the candidates it may go to is idle.
   * One that would fail at once (no such agent, every breaker open) counts as starting.
   */
  startsAtOnce(match: RouteMatch): boolean {
    const slots = match.candidates.flatMap((name) => this.#state.slots.get(name) ?? []);
    if (slots.length === 0) return true;
    const usable = slots.filter((slot) => slot.breaker.state === "closed");
    if (usable.length > 0) return usable.some((slot) => this.#isIdle(slot));
    const probe = slots.find((slot) => slot.breaker.allowsDispatch);
    return probe === undefined || this.#isIdle(probe);
  }

  #isIdle(slot: AgentSlot): boolean {
    return slot.running === undefined && slot.mailbox.length === 0 && slot.breaker.allowsDispatch;
  }

  #load(slot: AgentSlot): number {
    return slot.mailbox.length + (slot.running ? 1 : 0);
  }

  #leastLoaded(names: readonly string[]): string {
    let best = names[0]!;
    for (const name of names)
      if (this.#load(this.#state.slots.get(name)!) < this.#load(this.#state.slots.get(best)!)) best = name;
    return best;
  }

  #enqueue(entry: TaskEntry, agent: string, fx: SupervisorEffects): void {
    const slot = this.#state.slots.get(agent)!;
    const parent = entry.task.parentTaskId ? this.#state.tasks.get(entry.task.parentTaskId) : undefined;
    if (parent?.agent && !entry.waitEdge) {
      const cycle = this.#state.waits.cycleThrough(parent.agent, agent);
      if (cycle) {
        this.#state.settings.bus.publish({ type: "deadlock.detected", taskId: entry.task.id, cycle });
        return this.#ledger.fail(
          entry,
          new TroupeError(
            "Deadlock",
            `deadlock: ${cycle.join(" → ")} would wait on each other; the wait was refused`,
            {
              data: { cycle },
            },
          ),
          fx,
        );
      }
    }
    if (slot.mailbox.length >= slot.limit) {
      return this.#ledger.fail(entry, mailboxFull(`agent ${agent}'s queue`, slot.limit), fx);
    }
    if (parent?.agent && !entry.waitEdge) {
      entry.waitEdge = { from: parent.agent, to: agent };
      this.#state.waits.add(parent.agent, agent);
    }
    entry.agent = agent;
    entry.state = "queued";
    slot.mailbox.push(entry);
    this.#state.publishTask(entry, {
      type: "task.routed",
      taskId: entry.task.id,
      agent,
      rule: entry.match?.rule ?? `agent:${agent}`,
    });
    this.#dispatch.next(slot, fx);
  }

  #openAuction(
    entry: TaskEntry,
    candidates: readonly string[],
    deadlineMs: number,
    fx: SupervisorEffects,
  ): void {
    const bidders = candidates.filter((name) => this.#state.slots.get(name)!.definition.bid);
    if (bidders.length === 0) return this.#enqueue(entry, this.#leastLoaded(candidates), fx);
    entry.auction = new Map();
    const { task } = entry;
    for (const name of bidders) {
      const bid = this.#state.slots.get(name)!.definition.bid!;
      Promise.resolve()
        .then(() => bid(task))
        .then(
          (value) =>
            this.#state.selfSend({
              type: "troupe.bid",
              taskId: task.id,
              agent: name,
              bid: typeof value === "number" && Number.isFinite(value) ? value : undefined,
            }),
          () => this.#state.selfSend({ type: "troupe.bid", taskId: task.id, agent: name, bid: undefined }),
        );
    }
    fx.schedule({ type: "troupe.timer.auction", taskId: task.id }, deadlineMs, `auction:${task.id}`);
  }

  /** A bidder answered (or failed to): close the auction once every bidder has. */
  bid(event: Extract<AsyncResultEvent, { type: "troupe.bid" }>, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(event.taskId);
    if (!entry?.auction || entry.state !== "routing") return;
    entry.auction.set(event.agent, event.bid);
    const bidders = entry.match!.candidates.filter((name) => this.#state.slots.get(name)?.definition.bid);
    if (bidders.every((name) => entry.auction!.has(name))) {
      fx.unschedule(`auction:${entry.task.id}`);
      this.#closeAuction(entry, fx);
    }
  }

  /** The bid deadline passed: close the auction with the bids that came. */
  auctionTimedOut(taskId: string, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(taskId);
    if (entry?.auction && entry.state === "routing") this.#closeAuction(entry, fx);
  }

  /** The lowest bid wins; equal bids go to the agent whose name sorts first, so the result is deterministic. */
  #closeAuction(entry: TaskEntry, fx: SupervisorEffects): void {
    const bids = [...entry.auction!].filter((pair): pair is [string, number] => pair[1] !== undefined);
    entry.auction = undefined;
    bids.sort(([nameA, bidA], [nameB, bidB]) => bidA - bidB || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0));
    const winner =
      bids[0]?.[0] ??
      this.#leastLoaded(entry.match!.candidates.filter((name) => this.#state.slots.has(name)));
    this.#enqueue(entry, winner, fx);
  }
}
