// The agents' lives, after OTP: the first incarnation of every agent, restarts after a crash or a
// hang by the restart strategy (one_for_one, one_for_all, rest_for_one) — tasks interrupted by a
// sibling's restart go back to the head of their queue — and escalation when restarts exceed the
// intensity: every open task fails with Escalated, every agent stops, and the supervisor machine
// moves to `escalated` (where it stops for good, or restarts the whole team: `restartAll`).
import type { AgentPort } from "../agent/AgentContext.ts";
import type { AgentHostInput } from "../agent/agentHostMachine.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import { formatMillis } from "../time/duration.ts";
import { type AgentSlot, childIdOf, newAgentSlot } from "./AgentSlot.ts";
import type { Breakers } from "./Breakers.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import { childrenToRestart } from "./restartStrategy.ts";
import type { SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorState } from "./SupervisorState.ts";
import type { TaskLedger } from "./TaskLedger.ts";

export class AgentLifecycle {
  readonly #state: SupervisorState;
  readonly #dispatch: Dispatcher;
  readonly #ledger: TaskLedger;
  readonly #breakers: Breakers;
  /** What every incarnation reports to (the supervisor core). */
  readonly #port: AgentPort;

  constructor(
    state: SupervisorState,
    parts: { dispatch: Dispatcher; ledger: TaskLedger; breakers: Breakers; port: AgentPort },
  ) {
    this.#state = state;
    this.#dispatch = parts.dispatch;
    this.#ledger = parts.ledger;
    this.#breakers = parts.breakers;
    this.#port = parts.port;
  }

  /** Make every agent's slot and spawn its first incarnation, all in one step. */
  startAll(fx: SupervisorEffects): void {
    for (const definition of this.#state.settings.agents) {
      const breaker = this.#state.breakers.get(definition.name)!;
      const slot = newAgentSlot(definition, this.#state.settings.mailboxLimit, breaker);
      this.#state.slots.set(definition.name, slot);
      this.#state.startOrder.push(definition.name);
    }
    const slots = [...this.#state.slots.values()];
    fx.spawnAll(slots.map((slot) => this.#nextIncarnation(slot)));
    for (const slot of slots) this.#announce(slot);
  }

  /** Restart after `slot`'s child crashed; false when the intensity was exceeded and the supervisor escalated. */
  restart(crashed: AgentSlot, cause: string, fx: SupervisorEffects): boolean {
    const { intensity, strategy } = this.#state.settings;
    if (!intensity.record(this.#state.clock.now())) {
      this.#escalate(
        `more than ${intensity.intensity} restarts within ${formatMillis(intensity.periodMs)} (last: ${crashed.definition.name} ${cause})`,
        fx,
      );
      return false;
    }
    for (const name of childrenToRestart(strategy, this.#state.startOrder, crashed.definition.name)) {
      const slot = this.#state.slots.get(name)!;
      const collateral = slot.running;
      if (collateral) {
        this.#dispatch.release(slot, fx);
        collateral.controller.abort(
          new TroupeError("Cancelled", `agent ${name} is restarting (${strategy})`),
        );
      }
      fx.stop(slot.childId);
      slot.restarts += 1;
      this.#spawn(slot, fx);
      this.#state.settings.bus.publish({
        type: "agent.restarted",
        agent: name,
        incarnation: slot.incarnation,
        strategy,
        cause: `${crashed.definition.name} ${cause}`,
      });
      if (collateral) {
        // Not this task's fault: back to the head of the queue, same attempt.
        collateral.entry.state = "retrying";
        this.#state.publishTask(collateral.entry, {
          type: "task.retrying",
          taskId: collateral.entry.task.id,
          agent: name,
          attempt: collateral.entry.task.attempt,
          reason: `agent ${name} restarted (${strategy} after ${crashed.definition.name} ${cause})`,
        });
        collateral.entry.state = "queued";
        slot.mailbox.unshift(collateral.entry);
      }
      if (slot !== crashed) this.#dispatch.next(slot, fx);
    }
    return true;
  }

  #spawn(slot: AgentSlot, fx: SupervisorEffects): void {
    const { agent, childId, input } = this.#nextIncarnation(slot);
    fx.spawn(agent, childId, input);
    this.#announce(slot);
  }

  #nextIncarnation(slot: AgentSlot) {
    slot.incarnation += 1;
    slot.childId = childIdOf(slot.definition.name, slot.incarnation);
    const { definition } = slot;
    const input: AgentHostInput = {
      agent: definition.name,
      incarnation: slot.incarnation,
      port: this.#port,
      handle: definition.handle,
    };
    return { agent: definition, childId: slot.childId, input };
  }

  #announce(slot: AgentSlot): void {
    this.#state.settings.bus.publish({
      type: "agent.started",
      agent: slot.definition.name,
      incarnation: slot.incarnation,
    });
    this.#state.setAgentState(slot, "idle");
  }

  /**
   * After an escalation: every agent gets a fresh incarnation and mailbox, its breaker is reset, and
   * the restart intensity starts from nothing, as a freshly started supervisor would.
   */
  restartAll(fx: SupervisorEffects): void {
    this.#state.settings.intensity.clear();
    const slots = this.#state.startOrder.map((name) => {
      const old = this.#state.slots.get(name)!;
      this.#breakers.reset(old, fx);
      const slot = newAgentSlot(old.definition, this.#state.settings.mailboxLimit, old.breaker);
      slot.incarnation = old.incarnation;
      slot.restarts = old.restarts;
      slot.state = old.state; // stopped: announcing the new incarnation makes it idle
      this.#state.slots.set(name, slot);
      return slot;
    });
    fx.spawnAll(slots.map((slot) => this.#nextIncarnation(slot)));
    for (const slot of slots) this.#announce(slot);
  }

  #escalate(reason: string, fx: SupervisorEffects): void {
    const { intensity } = this.#state.settings;
    const error = new TroupeError("Escalated", `the supervisor gave up: ${reason}`, {
      data: {
        reason,
        restarts: intensity.recent,
        periodMs: intensity.periodMs,
        since: this.#state.clock.now(),
      },
    });
    for (const slot of this.#state.slots.values()) {
      if (slot.running) this.#dispatch.release(slot, fx).controller.abort(error);
      slot.mailbox.length = 0;
      this.#state.setAgentState(slot, "stopped");
      fx.stop(slot.childId);
    }
    this.#state.pool.length = 0;
    for (const entry of [...this.#state.tasks.values()]) this.#ledger.fail(entry, error, fx);
    fx.escalate(error);
  }
}
