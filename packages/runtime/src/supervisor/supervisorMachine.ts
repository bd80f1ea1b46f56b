// The supervisor as an XState actor: it spawns and owns the agent actors, runs every timer on the
// actor system's clock, and turns each event into a call on SupervisorCore. Beside each agent it
// keeps that agent's circuit breaker, which outlives the agent's incarnations: it rests, closed,
// until its first failure starts it as a child actor (`breakerMachine`, `<agent>.breaker`). Its states are the team's life: running → draining when it stops taking
// tasks; running → escalated when restarts exceed the intensity (every open task failed, every
// agent stopped). Escalated, it either errors, which XState reports to its parent actor (OTP's
// escalation), or — when the team is set to restart itself — waits a backoff and passes through
// restarting back to running with fresh agents. Stopping from any of them ends in `stopped`
// (final), where XState stops every child.
import {
  type ActorRefFrom,
  type AnyActorLogic,
  type AnyActorRef,
  assign,
  createActor,
  type EventObject,
  enqueueActions,
  setup,
} from "xstate";
import type { AgentHostEvent, AgentOutcomeEvent } from "../agent/agentHostMachine.ts";
import { backoffDelay } from "../durable/DurableWorker.ts";
import type { TroupeError } from "../errors/TroupeError.ts";
import { breakerMachine } from "./breakerMachine.ts";
import { breakerIdOf, CircuitBreaker, type StartBreaker } from "./CircuitBreaker.ts";
import {
  type AsyncResultEvent,
  type Escalation,
  SupervisorCore,
  type SupervisorEffects,
  type SupervisorSettings,
  type TimerEvent,
} from "./SupervisorCore.ts";

export type SupervisorEvent =
  | { type: "troupe.relay"; childId: string; event: AgentHostEvent }
  | { type: "troupe.cancel"; id: string; reason: string }
  | { type: "troupe.forward"; taskId: string; event: { type: string } }
  | { type: "troupe.drain" }
  | { type: "troupe.interrupt-all"; reason: string }
  /** Stop for good: open tasks fail with ShuttingDown, every child actor stops. */
  | { type: "troupe.stop"; reason: string }
  /** Raised by the core when restarts exceeded the intensity; it has failed every open task. */
  | { type: "troupe.escalated"; error: TroupeError }
  | AgentOutcomeEvent
  | AsyncResultEvent
  | TimerEvent;

/** The part of XState's `enqueue` the core's effects need. */
interface Enqueue {
  (action: () => void): void;
  assign(
    assigner: (args: {
      spawn: (logic: AnyActorLogic, options: { id: string; input: unknown }) => unknown;
    }) => object,
  ): void;
  spawnChild(logic: AnyActorLogic, options: { id: string; input: unknown }): void;
  stopChild(child: string | AnyActorRef): void;
  sendTo(id: string, event: EventObject): void;
  raise(event: SupervisorEvent, options?: { delay: number; id: string }): void;
  cancel(id: string): void;
}

const effectsOf = (enqueue: Enqueue): SupervisorEffects => ({
  spawnAll: (children) =>
    enqueue.assign(({ spawn }) => {
      for (const { agent, childId, input } of children) spawn(agent.logic, { id: childId, input });
      return {};
    }),
  spawn: (definition, childId, input) => enqueue.spawnChild(definition.logic, { id: childId, input }),
  stop: (childId) => enqueue.stopChild(childId),
  send: (childId, event) => enqueue.sendTo(childId, event),
  schedule: (event, delay, id) => enqueue.raise(event, { delay, id }),
  unschedule: (id) => enqueue.cancel(id),
  escalate: (error: TroupeError) => enqueue.raise({ type: "troupe.escalated", error }),
});

/**
 * Effects performed straight on the actor system, for the success path that agents report outside
 * a supervisor transition: sends go to the child's mailbox, timers to the system's scheduler (and so
 * to its clock). Spawning, stopping and escalating only ever happen inside supervisor transitions.
 */
const directEffects = (self: AnyActorRef): SupervisorEffects => {
  const outside = (what: string) => () => {
    throw new Error(`internal: ${what} outside a supervisor transition`);
  };
  return {
    spawnAll: outside("spawnAll"),
    spawn: outside("spawn"),
    stop: outside("stop"),
    escalate: outside("escalate"),
    // A child spawned in the transition still running is not there yet: relay through the mailbox.
    send: (childId, event) => {
      const child = self.getSnapshot().children[childId] as AnyActorRef | undefined;
      if (child) child.send(event);
      else self.send({ type: "troupe.relay", childId, event });
    },
    schedule: (event, delay, id) => self.system.scheduler.schedule(self, self, event, delay, id),
    unschedule: (id) => self.system.scheduler.cancel(self, id),
  };
};

/** Route one event to the core method that handles it. */
const handle = (core: SupervisorCore, event: SupervisorEvent, fx: SupervisorEffects): void => {
  switch (event.type) {
    case "troupe.relay":
      return fx.send(event.childId, event.event);
    case "troupe.cancel":
      return void core.cancel(event.id, event.reason, fx);
    case "troupe.interrupt-all":
      return core.interruptAll(fx, event.reason);
    case "troupe.forward":
      return core.forward(event.taskId, event.event, fx);
    case "troupe.drain":
    case "troupe.escalated":
    case "troupe.stop":
      return; // the machine's own transitions
    case "troupe.agent.failed":
      return core.agentFailed(event, fx);
    case "troupe.classified":
      return core.classified(event, fx);
    case "troupe.bid":
      return core.bid(event, fx);
    case "troupe.timer.heartbeat":
      return core.heartbeatDue(event.taskId, event.attempt, fx);
    case "troupe.timer.deadline":
      return core.deadlinesDue(fx);
    case "troupe.timer.breaker":
      return core.breakerResetDue(event.agent, fx);
    case "troupe.timer.auction":
      return core.auctionTimedOut(event.taskId, fx);
    default:
      return core.reportUnknownEvent((event as { type?: unknown }).type);
  }
};

interface SupervisorContext {
  readonly core: SupervisorCore;
  /** Each agent's circuit breaker, by agent name: resting, or a child actor once it has moved. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  /** Why, since when and until when the team is escalated; undefined while it runs. */
  readonly escalation: (Escalation & { readonly error: TroupeError }) | undefined;
  /** Escalations in a row: each within a restart period of the team's last restart. */
  readonly inARow: number;
  readonly restartedAt: number | undefined;
}

export const supervisorMachine = setup({
  types: {
    input: {} as SupervisorSettings,
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actions: {
    startAgents: enqueueActions(({ context, enqueue }) =>
      context.core.start(effectsOf(enqueue as unknown as Enqueue)),
    ),
    toCore: enqueueActions(({ context, event, enqueue }) =>
      handle(context.core, event, effectsOf(enqueue as unknown as Enqueue)),
    ),
    interruptAll: enqueueActions(({ context, event, enqueue }) => {
      const { reason } = event as Extract<SupervisorEvent, { type: "troupe.stop" }>;
      context.core.interruptAll(effectsOf(enqueue as unknown as Enqueue), reason);
    }),
    noteEscalation: assign(({ context, event }) => {
      const { error } = event as Extract<SupervisorEvent, { type: "troupe.escalated" }>;
      const { settings } = context.core;
      const now = error.data.since as number;
      const inARow =
        context.restartedAt !== undefined && now - context.restartedAt <= settings.intensity.periodMs
          ? context.inARow + 1
          : 1;
      const policy = settings.escalation;
      const restartAt =
        policy.kind === "restart"
          ? now + Math.round(backoffDelay(inARow, policy.restartAfterMs, policy.maxDelayMs))
          : undefined;
      return { inARow, escalation: { reason: error.reason, since: now, restartAt, error } };
    }),
    announceEscalation: ({ context, event }) => {
      const { error } = event as Extract<SupervisorEvent, { type: "troupe.escalated" }>;
      const { restarts, periodMs, reason } = error.data as {
        restarts: number;
        periodMs: number;
        reason: string;
      };
      const restartAt = context.escalation?.restartAt;
      context.core.bus.publish({
        type: "supervisor.escalated",
        restarts,
        periodMs,
        reason,
        restartInMs: restartAt === undefined ? null : restartAt - context.core.clock.now(),
      });
    },
    /** With the "stop" policy: error, so the parent actor (or Team.closed) learns the team gave up. */
    giveUpUnlessRestarting: ({ context }) => {
      if (context.core.settings.escalation.kind === "stop") throw context.escalation!.error;
    },
    /** A breaker that has moved is a child XState does not list (it started outside a transition). */
    stopBreakers: enqueueActions(({ context, enqueue }) => {
      for (const breaker of context.breakers.values()) if (breaker.actor) enqueue.stopChild(breaker.actor);
    }),
    restartTeam: enqueueActions(({ context, enqueue }) => {
      context.core.restartAll(effectsOf(enqueue as unknown as Enqueue));
      const now = context.core.clock.now();
      context.core.bus.publish({
        type: "supervisor.restarted",
        escalations: context.inARow,
        downMs: now - context.escalation!.since,
      });
      enqueue.assign({ escalation: undefined, restartedAt: now });
    }),
  },
  delays: {
    untilRestart: ({ context }) =>
      Math.max(0, (context.escalation?.restartAt ?? 0) - context.core.clock.now()),
  },
}).createMachine({
  id: "supervisor",
  context: ({ input, self }) => {
    // A breaker's first move starts its actor at once, inside the supervisor's transition that
    // counts the failure, since the supervisor reads the breaker's new state straight away.
    const start: StartBreaker = (agent, maxFailures) =>
      createActor(breakerMachine, { parent: self, id: breakerIdOf(agent), input: { maxFailures } }).start();
    const breakers = new Map(
      input.agents.map((agent) => [
        agent.name,
        new CircuitBreaker(agent.name, agent.breaker.maxFailures, start),
      ]),
    );
    return {
      core: new SupervisorCore(input, (event) => self.send(event), directEffects(self), breakers),
      breakers,
      escalation: undefined,
      inARow: 0,
      restartedAt: undefined,
    };
  },
  entry: "startAgents",
  on: {
    "troupe.stop": { target: ".stopped", actions: "interruptAll" },
    "*": { actions: "toCore" },
  },
  initial: "running",
  states: {
    running: {
      on: {
        "troupe.drain": "draining",
        "troupe.escalated": { target: "escalated", actions: ["noteEscalation", "announceEscalation"] },
      },
    },
    draining: {
      // The team stops anyway: an escalation now is said, and nothing restarts.
      on: { "troupe.escalated": { actions: ["noteEscalation", "announceEscalation"] } },
    },
    escalated: {
      entry: "giveUpUnlessRestarting",
      after: { untilRestart: "restarting" },
      on: {
        "troupe.drain": "draining",
        "troupe.stop": "stopped",
        // Every agent is stopped and every task failed: late timers and outcomes have nothing to act on.
        "*": {},
      },
    },
    restarting: {
      entry: "restartTeam",
      always: "running",
    },
    // Final: every child stops (agents, the breakers that have moved) and the actor completes.
    stopped: { type: "final", entry: "stopBreakers" },
  },
});

export type SupervisorActorRef = ActorRefFrom<typeof supervisorMachine>;
