// Routing: which agents may take a task — the one named, else the first routing rule that matches,
// else the classifier (asked asynchronously; its answer comes back as `troupe.classified`), else
// the fallback agent — handing the match to Allocation, or failing the task with NoRoute.
import type { Task } from "../task/Task.ts";
import { type Allocation, noRoute } from "./Allocation.ts";
import type { RouteMatch } from "./routing.ts";
import type { AsyncResultEvent, SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskEntry } from "./TaskEntry.ts";
import type { TaskLedger } from "./TaskLedger.ts";

/** A route to exactly one agent (named, classified, fallback, or the one a retried task ran on). */
export const toOneAgent = (rule: string, agent: string): RouteMatch => ({
  rule,
  candidates: [agent],
  allocation: { kind: "least-loaded" },
});

export class Router {
  readonly #state: SupervisorState;
  readonly #allocation: Allocation;
  readonly #ledger: TaskLedger;

  constructor(state: SupervisorState, allocation: Allocation, ledger: TaskLedger) {
    this.#state = state;
    this.#allocation = allocation;
    this.#ledger = ledger;
  }

  /** Find the agents that may take a new task and allocate it, or ask the classifier. */
  route(entry: TaskEntry, explicit: string | undefined, fx: SupervisorEffects): void {
    const { task } = entry;
    if (explicit !== undefined) {
      if (!this.#state.slots.has(explicit)) {
        return this.#ledger.fail(entry, noRoute(task, [`agent:${explicit} (no such agent)`]), fx);
      }
      return this.#allocation.allocate(entry, toOneAgent(`agent:${explicit}`, explicit), fx);
    }
    const byRule = this.#byRule(task);
    if (byRule) return this.#allocation.allocate(entry, byRule, fx);
    const agents = this.#state.settings.agents;
    const classify = this.#state.settings.classify;
    if (classify) {
      const controller = new AbortController();
      entry.controller = controller;
      const summaries = agents.map(({ name, description, capabilities }) => ({
        name,
        description,
        capabilities,
      }));
      Promise.resolve()
        .then(() => classify(task, summaries, controller.signal))
        .then(
          (agent) =>
            this.#state.selfSend({ type: "troupe.classified", taskId: task.id, agent, error: undefined }),
          (error: unknown) =>
            this.#state.selfSend({ type: "troupe.classified", taskId: task.id, agent: undefined, error }),
        );
      return;
    }
    this.#routeAfterRules(entry, undefined, fx);
  }

  /** The classifier answered (or failed): allocate to its agent, else go on to the fallback. */
  classified(event: Extract<AsyncResultEvent, { type: "troupe.classified" }>, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(event.taskId);
    if (entry?.state !== "routing" || entry.match) return;
    entry.controller = undefined;
    if (event.error !== undefined) {
      this.#state.warn(`the classifier failed on task ${event.taskId}; using the fallback`, event.error);
    }
    if (event.agent !== undefined && this.#state.slots.has(event.agent)) {
      return this.#allocation.allocate(entry, toOneAgent("classifier", event.agent), fx);
    }
    this.#routeAfterRules(entry, event.agent, fx);
  }

  /**
   * Where a task would go now, without routing it: the match by its agent's name, a rule or the
   * fallback; "classifier" when the classifier would decide; undefined when no agent can take it.
   */
  peek(task: Task, explicit: string | undefined): RouteMatch | "classifier" | undefined {
    if (explicit !== undefined)
      return this.#state.slots.has(explicit) ? toOneAgent(`agent:${explicit}`, explicit) : undefined;
    return this.#byRule(task) ?? (this.#state.settings.classify ? "classifier" : this.#fallback());
  }

  #byRule(task: Task): RouteMatch | undefined {
    const agents = this.#state.settings.agents;
    for (const rule of this.#state.settings.routes) {
      const match = rule.match(task, agents);
      if (match) return match;
    }
    return undefined;
  }

  #fallback(): RouteMatch | undefined {
    const fallback = this.#state.settings.fallback;
    return fallback !== undefined && this.#state.slots.has(fallback)
      ? toOneAgent("fallback", fallback)
      : undefined;
  }

  #routeAfterRules(entry: TaskEntry, classified: string | undefined, fx: SupervisorEffects): void {
    const fallback = this.#state.settings.fallback;
    const match = this.#fallback();
    if (match) return this.#allocation.allocate(entry, match, fx);
    const tried = this.#state.settings.routes.map((rule) => rule.kind);
    if (this.#state.settings.classify)
      tried.push(classified ? `classifier (answered unknown agent "${classified}")` : "classifier");
    tried.push(fallback ? `fallback (no agent "${fallback}")` : "fallback (none configured)");
    this.#ledger.fail(entry, noRoute(entry.task, tried), fx);
  }
}
