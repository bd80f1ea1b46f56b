// The standard agent machine: idle → busy.working ⇄ busy.awaitingHuman → idle. It hosts one task at
// a time and invokes the agent's task runner (a promise for plain agents, the user's own machine for
// machine agents); outcomes go to the supervisor as events, observations through the AgentPort.
import {
  type AnyActorLogic,
  type AnyStateMachine,
  assign,
  fromPromise,
  sendParent,
  sendTo,
  setup,
} from "xstate";
import type { Task } from "../task/Task.ts";
import type { AgentContext, AgentMachineInput, AgentPort } from "./AgentContext.ts";

export interface AgentHostInput {
  readonly agent: string;
  readonly incarnation: number;
  readonly port: AgentPort;
}

interface AgentHostContext extends AgentHostInput {
  task: Task | undefined;
  signal: AbortSignal | undefined;
}

export type AgentHostEvent =
  /** The supervisor owns the task's AbortController; the host only passes its signal on. */
  | { type: "troupe.task.assign"; task: Task; signal: AbortSignal }
  | { type: "troupe.task.cancel"; taskId: string }
  | { type: "troupe.task.event"; taskId: string; event: { type: string } }
  | { type: "troupe.human.asked"; question: string }
  | { type: "troupe.human.answered" };

/** What an agent host tells its supervisor. */
export type AgentOutcomeEvent =
  | {
      type: "troupe.agent.done";
      agent: string;
      incarnation: number;
      taskId: string;
      attempt: number;
      output: unknown;
    }
  | {
      type: "troupe.agent.failed";
      agent: string;
      incarnation: number;
      taskId: string;
      attempt: number;
      error: unknown;
    };

type Runner =
  | { kind: "handle"; handle: (task: Task, ctx: AgentContext) => unknown }
  | { kind: "machine"; machine: AnyStateMachine };

const contextFor = (context: AgentHostContext, self: { send(event: AgentHostEvent): void }): AgentContext => {
  const { agent, port } = context;
  const task = context.task!;
  const signal = context.signal!;
  const { id, attempt } = task;
  return {
    signal,
    heartbeat: () => port.heartbeat(agent, id, attempt),
    progress: (message) => port.progress(agent, id, attempt, message),
    emit: (event) => port.emit(agent, id, attempt, event),
    delegate: (input) => port.delegate(agent, task, input, signal) as Promise<never>,
    askHuman: async (question) => {
      self.send({ type: "troupe.human.asked", question });
      try {
        return await port.askHuman(agent, task, question, signal);
      } finally {
        if (!signal.aborted) self.send({ type: "troupe.human.answered" });
      }
    },
  };
};

const outcome = (context: AgentHostContext) => ({
  agent: context.agent,
  incarnation: context.incarnation,
  taskId: context.task!.id,
  attempt: context.task!.attempt,
});

export const agentHostMachine = setup({
  types: {
    input: {} as AgentHostInput,
    context: {} as AgentHostContext,
    events: {} as AgentHostEvent,
  },
  actors: {
    // Replaced per agent through `.provide()`; this default exists only so the machine type-checks.
    runTask: fromPromise<unknown, AgentMachineInput>(async () => undefined),
  },
  guards: {
    isCurrentTask: ({ context, event }) => "taskId" in event && event.taskId === context.task?.id,
  },
  actions: {
    takeTask: assign(({ event }) => {
      if (event.type !== "troupe.task.assign") return {};
      return { task: event.task, signal: event.signal };
    }),
    reportStarted: ({ context }) =>
      context.port.started(context.agent, context.task!.id, context.task!.attempt),
    reportAwaitingHuman: ({ context, event }) => {
      if (event.type === "troupe.human.asked") {
        context.port.awaitingHuman(context.agent, context.task!.id, context.task!.attempt, event.question);
      }
    },
    reportResumed: ({ context }) =>
      context.port.resumed(context.agent, context.task!.id, context.task!.attempt),
    forwardToTask: sendTo("task", ({ event }) =>
      event.type === "troupe.task.event" ? event.event : { type: "" },
    ),
    reportDone: sendParent(({ context, event }) => ({
      type: "troupe.agent.done",
      ...outcome(context),
      output: (event as unknown as { output: unknown }).output,
    })),
    reportFailed: sendParent(({ context, event }) => ({
      type: "troupe.agent.failed",
      ...outcome(context),
      error: (event as unknown as { error: unknown }).error,
    })),
    clearTask: assign({ task: undefined, signal: undefined }),
  },
}).createMachine({
  id: "agent",
  context: ({ input }) => ({ ...input, task: undefined, signal: undefined }),
  initial: "idle",
  states: {
    idle: {
      entry: "clearTask",
      on: { "troupe.task.assign": { target: "busy", actions: "takeTask" } },
    },
    busy: {
      entry: "reportStarted",
      invoke: {
        id: "task",
        src: "runTask",
        input: ({ context, self }) => ({ task: context.task!, ctx: contextFor(context, self) }),
        onDone: { target: "idle", actions: "reportDone" },
        onError: { target: "idle", actions: "reportFailed" },
      },
      on: {
        "troupe.task.cancel": { guard: "isCurrentTask", target: "idle" },
        "troupe.task.event": { guard: "isCurrentTask", actions: "forwardToTask" },
      },
      initial: "working",
      states: {
        working: {
          on: { "troupe.human.asked": { target: "awaitingHuman", actions: "reportAwaitingHuman" } },
        },
        awaitingHuman: {
          on: { "troupe.human.answered": { target: "working", actions: "reportResumed" } },
        },
      },
    },
  },
});

export type AgentHostLogic = typeof agentHostMachine;

/** The host machine with this agent's runner provided under the name `runTask`. */
export const agentHostFor = (runner: Runner): AgentHostLogic => {
  const runTask: AnyActorLogic =
    runner.kind === "machine"
      ? runner.machine
      : fromPromise<unknown, AgentMachineInput>(async ({ input }) => runner.handle(input.task, input.ctx));
  return agentHostMachine.provide({ actors: { runTask: runTask as never } });
};
