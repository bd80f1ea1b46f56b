// The supervisor as an XState actor: it spawns and owns the agent actors, runs every timer on the
// actor system's clock, and turns each event into a call on SupervisorCore. When the restart
// intensity is exceeded it errors, which XState reports to its parent actor: OTP's escalation.
import {
  type ActorRefFrom,
  type AnyActorLogic,
  type AnyActorRef,
  type EventObject,
  enqueueActions,
  setup,
} from "xstate";
import type { AgentHostEvent, AgentOutcomeEvent } from "../agent/agentHostMachine.ts";
import type { TroupeError } from "../errors/TroupeError.ts";
import {
  type AsyncResultEvent,
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
  stopChild(id: string): void;
  sendTo(id: string, event: EventObject): void;
  raise(event: EventObject, options: { delay: number; id: string }): void;
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
  escalate: (error: TroupeError) =>
    enqueue(() => {
      throw error;
    }),
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
      return core.stopAccepting();
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

export const supervisorMachine = setup({
  types: {
    input: {} as SupervisorSettings,
    context: {} as { core: SupervisorCore },
    events: {} as SupervisorEvent,
  },
  actions: {
    startAgents: enqueueActions(({ context, enqueue }) =>
      context.core.start(effectsOf(enqueue as unknown as Enqueue)),
    ),
    toCore: enqueueActions(({ context, event, enqueue }) =>
      handle(context.core, event, effectsOf(enqueue as unknown as Enqueue)),
    ),
  },
}).createMachine({
  id: "supervisor",
  context: ({ input, self }) => ({
    core: new SupervisorCore(input, (event) => self.send(event), directEffects(self)),
  }),
  entry: "startAgents",
  on: { "*": { actions: "toCore" } },
});

export type SupervisorActorRef = ActorRefFrom<typeof supervisorMachine>;
