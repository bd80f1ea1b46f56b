// The standard agent machine: idle → busy.working ⇄ busy.awaitingHuman → idle. It hosts one task at
// a time and invokes the agent's task runner (a promise for plain agents, the user's own machine for
// machine agents); outcomes go to the supervisor as events, observations through the AgentPort.
// Agents are spawned as `agentHostLogic`: every idle host shares its initial snapshot's structure.
import { type AnyStateMachine, assign, fromPromise, sendParent, sendTo, setup } from "xstate";
import { bindAction } from "../human/Approval.ts";
import { validatePoll } from "../human/Poll.ts";
import { sharingInitialSnapshot } from "../internal/sharingInitialSnapshot.ts";
import type { Task } from "../task/Task.ts";
import type { AgentContext, AgentMachineInput, AgentPort } from "./AgentContext.ts";
import { persistentRunner } from "./persistentRunner.ts";

export interface AgentHostInput {
  readonly agent: string;
  readonly incarnation: number;
  readonly port: AgentPort;
  /** A plain agent's handler; absent for machine agents, whose machine is provided as `runTask`. */
  readonly handle: TaskHandler | undefined;
}

export type TaskHandler = (task: Task, ctx: AgentContext) => unknown;

/** What the task runner is started with: a plain agent's handler, or a machine agent's saved run. */
type RunnerInput = AgentMachineInput & {
  readonly handle: TaskHandler | undefined;
  readonly snapshot?: unknown;
  readonly persist?: (snapshot: unknown) => void;
};

/** Absent fields read as undefined: an idle host's context is its input as it is. */
interface AgentHostContext extends AgentHostInput {
  task?: Task | undefined;
  signal?: AbortSignal | undefined;
  /** A machine agent's saved run to resume (the task was delivered again after a crash). */
  snapshot?: unknown;
}

export type AgentHostEvent =
  /** The supervisor owns the task's AbortController; the host only passes its signal on. */
  | { type: "troupe.task.assign"; task: Task; signal: AbortSignal; snapshot?: unknown }
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
    askApproval: async (action, options) => {
      const bound = bindAction(action); // an action JSON cannot carry fails here, before ✋
      self.send({ type: "troupe.human.asked", question: bound.question });
      try {
        return await port.askApproval(agent, task, bound, options?.expiresIn, signal);
      } finally {
        if (!signal.aborted) self.send({ type: "troupe.human.answered" });
      }
    },
    poll: async (options) => {
      const poll = validatePoll(options); // bad options fail here, before ✋
      self.send({ type: "troupe.human.asked", question: poll.question });
      try {
        return await port.poll(agent, task, poll, signal);
      } finally {
        if (!signal.aborted) self.send({ type: "troupe.human.answered" });
      }
    },
    get llm() {
      return port.llm(agent, task, signal);
    },
    get tools() {
      return port.tools(agent);
    },
    get memory() {
      return port.memory(agent, task, signal);
    },
    now: () => port.now(agent, task),
    randomId: () => port.randomId(agent, task),
    sleep: (duration) => port.sleep(duration, signal),
  };
};

/** The input itself, not a copy with the task's fields added: one object less per idle agent. */
const idleContext = (input: AgentHostInput): AgentHostContext => input;

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
    // Plain agents share this runner (their handler travels in the input, so ten thousand agents
    // share one machine); a machine agent's own machine is provided in its place.
    runTask: fromPromise<unknown, RunnerInput>(async ({ input }) => input.handle!(input.task, input.ctx)),
  },
  guards: {
    isCurrentTask: ({ context, event }) => "taskId" in event && event.taskId === context.task?.id,
  },
  actions: {
    takeTask: assign(({ event }) => {
      if (event.type !== "troupe.task.assign") return {};
      return { task: event.task, signal: event.signal, snapshot: event.snapshot };
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
    // Success is the hot path: reported straight to the supervisor core, saving a supervisor
    // macrostep per task. Failures go as events, since they may restart actors.
    reportDone: ({ context, event }) => {
      const { agent, incarnation, taskId, attempt } = outcome(context);
      context.port.done(
        agent,
        incarnation,
        taskId,
        attempt,
        (event as unknown as { output: unknown }).output,
      );
    },
    reportFailed: sendParent(({ context, event }) => ({
      type: "troupe.agent.failed",
      ...outcome(context),
      error: (event as unknown as { error: unknown }).error,
    })),
    clearTask: assign({ task: undefined, signal: undefined, snapshot: undefined }),
  },
}).createMachine({
  id: "agent",
  context: ({ input }) => idleContext(input),
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
        input: ({ context, self }): RunnerInput => {
          const task = context.task!;
          const ctx = contextFor(context, self);
          if (context.handle) return { task, ctx, handle: context.handle };
          const { agent, port } = context;
          const persist = (snapshot: unknown) => port.persist(agent, task.id, task.attempt, snapshot);
          return { task, ctx, handle: undefined, snapshot: context.snapshot, persist };
        },
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

/** The host of a plain agent, as spawned: ten thousand idle hosts share one snapshot structure. */
export const agentHostLogic: AgentHostLogic = sharingInitialSnapshot(agentHostMachine, idleContext);

/** The host of a machine-form agent: the agent's machine provided as `runTask`. */
export const machineAgentHost = (machine: AnyStateMachine): AgentHostLogic =>
  sharingInitialSnapshot(
    agentHostMachine.provide({ actors: { runTask: persistentRunner(machine) as never } }),
    idleContext,
  );
