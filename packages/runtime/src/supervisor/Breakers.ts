// Reactions to an agent's circuit breaker: its successes and failures move it (Akka semantics, in
// breakerMachine, run as an actor beside the agent); every transition is a `breaker.changed` event; opening schedules the reset and
// sends what waits in the agent's queue to another capable agent (or fails it now).
import type { AgentSlot } from "./AgentSlot.ts";
import type { Allocation } from "./Allocation.ts";
import type { BreakerTransition } from "./CircuitBreaker.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import type { SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";

export class Breakers {
  readonly #state: SupervisorState;
  readonly #allocation: Allocation;
  readonly #dispatch: Dispatcher;

  constructor(state: SupervisorState, allocation: Allocation, dispatch: Dispatcher) {
    this.#state = state;
    this.#allocation = allocation;
    this.#dispatch = dispatch;
  }

  /** The agent finished a task: a half-open breaker closes. */
  succeeded(slot: AgentSlot, fx: SupervisorEffects): void {
    this.#changed(slot, slot.breaker.succeeded(), fx);
  }

  /** The agent failed a task (its own work failed, it crashed, hung, or its task timed out on it). */
  failed(slot: AgentSlot, reason: string, fx: SupervisorEffects): void {
    this.#changed(slot, slot.breaker.failed(reason), fx);
  }

  /** The breaker's reset timer fired: open → half-open, and the agent may take its probe. */
  resetDue(agent: string, fx: SupervisorEffects): void {
    const slot = this.#state.slots.get(agent);
    if (!slot) return;
    this.#changed(slot, slot.breaker.resetTimeoutElapsed(), fx);
    this.#dispatch.next(slot, fx);
  }

  /** Closed afresh, its reset timer dropped (the team restarts after an escalation). */
  reset(slot: AgentSlot, fx: SupervisorEffects): void {
    fx.unschedule(`breaker:${slot.definition.name}`);
    this.#changed(slot, slot.breaker.reset(), fx);
  }

  #changed(slot: AgentSlot, transition: BreakerTransition | undefined, fx: SupervisorEffects): void {
    if (!transition) return;
    const agent = slot.definition.name;
    this.#state.settings.bus.publish({ type: "breaker.changed", agent, ...transition });
    if (transition.to !== "open") return;
    fx.schedule(
      { type: "troupe.timer.breaker", agent },
      slot.definition.breaker.resetAfterMs,
      `breaker:${agent}`,
    );
    // Fail fast: what waits in an open agent's queue goes to another capable agent, or fails now.
    for (const entry of slot.mailbox.splice(0)) this.#allocation.allocate(entry, entry.match!, fx);
  }
}
