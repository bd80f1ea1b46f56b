// The standard agent machine: idle → busy.working ⇄ busy.awaitingHuman → idle. It hosts one task at
// a time: a plain agent's handler is called when the host turns busy and its settlement comes back
// as an event of the host's own (`troupe.task.done` / `troupe.task.error`), with no actor per task;
// a machine agent's own machine is invoked as the child `task` (its done and error events do the
// same). Outcomes go to the supervisor, observations through the AgentPort. Agents are spawned as
// `agentHostLogic` or `machineAgentHost(machine)`: every idle host shares its initial snapshot's
// structure.
import { type AnyActorLogic, type AnyStateMachine, assign, sendParent, sendTo, setup } from "xstate";
import { bindAction } from "../human/Approval.ts";
import { validatePoll } from "../human/Poll.ts";
import { CONTEXT_NOT_RECORDED, PLAIN_AGENT_HOST } from "../inspect/Inspector.ts";
import { sharingInitialSnapshot } from "../internal/sharingInitialSnapshot.ts";
import type { Task } from "../task/Task.ts";
import type { AgentContext, AgentMachineInput, AgentPort } from "./AgentContext.ts";
import { persistentRunner, RunSaves } from "./persistentRunner.ts";

export interface AgentHostInput {
  readonly agent: string;
  readonly incarnation: number;
  readonly port: AgentPort;
  /** A plain agent's handler; absent for machine agents, whose host invokes their machine. */
  readonly handle: TaskHandler | undefined;
}

export type TaskHandler = (task: Task, ctx: AgentContext) => unknown;

/** What a machine agent's run is started with: its task, the live context and its saved run. */
type RunnerInput = AgentMachineInput & {
  readonly snapshot: unknown;
  readonly saves: RunSaves;
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
  | { type: "troupe.human.answered" }
  /** A plain agent's handler settled: sent by the host to itself, for the task it still runs. */
  | { type: "troupe.task.done"; taskId: string; output: unknown }
  | { type: "troupe.task.error"; taskId: string; error: unknown };

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

type HostSelf = { send(event: AgentHostEvent): void };

/** An AgentContext's methods, which a TaskContext makes when they are first read. */
type Methods = Omit<AgentContext, "signal" | "llm" | "tools" | "memory">;

/**
 * A task's AgentContext on its host. Its methods are functions of its own, so an agent may take
 * them apart (`handle(task, { progress })`): each is made the first time it is read and kept, so a
 * task that uses two of them makes two closures, not eleven (every run's context lives as long as
 * the run, and what is made for it is copied by each scavenge meanwhile). The model, tools and
 * memory are getters too, made when read. A class rather than an object literal: a literal with
 * getters is built property by property, some microseconds a task.
 */
class TaskContext implements AgentContext {
  readonly signal: AbortSignal;
  readonly #agent: string;
  readonly #port: AgentPort;
  readonly #task: Task;
  readonly #self: HostSelf;
  #made: Partial<Methods> | undefined;

  constructor(context: AgentHostContext, self: HostSelf) {
    this.#agent = context.agent;
    this.#port = context.port;
    this.#task = context.task!;
    this.signal = context.signal!;
    this.#self = self;
  }

  /** Keep the method `name`, made on its first read, for the reads after it. */
  #keep<K extends keyof Methods>(name: K, method: Methods[K]): Methods[K] {
    if (this.#made === undefined) this.#made = {};
    this.#made[name] = method;
    return method;
  }

  /** The task shows ✋ while `ask` waits for people. */
  async #askPeople<T>(question: string, ask: () => Promise<T>): Promise<T> {
    this.#self.send({ type: "troupe.human.asked", question });
    try {
      return await ask();
    } finally {
      if (!this.signal.aborted) this.#self.send({ type: "troupe.human.answered" });
    }
  }

  get heartbeat(): Methods["heartbeat"] {
    return (
      this.#made?.heartbeat ??
      this.#keep("heartbeat", () => this.#port.heartbeat(this.#agent, this.#task.id, this.#task.attempt))
    );
  }

  get progress(): Methods["progress"] {
    return (
      this.#made?.progress ??
      this.#keep("progress", (message) =>
        this.#port.progress(this.#agent, this.#task.id, this.#task.attempt, message),
      )
    );
  }

  get emit(): Methods["emit"] {
    return (
      this.#made?.emit ??
      this.#keep("emit", (event) => this.#port.emit(this.#agent, this.#task.id, this.#task.attempt, event))
    );
  }

  get delegate(): Methods["delegate"] {
    return (
      this.#made?.delegate ??
      this.#keep(
        "delegate",
        (input) => this.#port.delegate(this.#agent, this.#task, input, this.signal) as Promise<never>,
      )
    );
  }

  get askHuman(): Methods["askHuman"] {
    return (
      this.#made?.askHuman ??
      this.#keep("askHuman", (question) =>
        this.#askPeople(question, () => this.#port.askHuman(this.#agent, this.#task, question, this.signal)),
      )
    );
  }

  get askApproval(): Methods["askApproval"] {
    return (
      this.#made?.askApproval ??
      this.#keep("askApproval", async (action, options) => {
        const bound = bindAction(action); // an action JSON cannot carry fails here, before ✋
        return this.#askPeople(bound.question, () =>
          this.#port.askApproval(this.#agent, this.#task, bound, options?.expiresIn, this.signal),
        );
      })
    );
  }

  get poll(): Methods["poll"] {
    return (
      this.#made?.poll ??
      this.#keep("poll", async (options) => {
        const poll = validatePoll(options); // bad options fail here, before ✋
        return this.#askPeople(poll.question, () =>
          this.#port.poll(this.#agent, this.#task, poll, this.signal),
        );
      })
    );
  }

  get now(): Methods["now"] {
    return this.#made?.now ?? this.#keep("now", () => this.#port.now(this.#agent, this.#task));
  }

  get randomId(): Methods["randomId"] {
    return this.#made?.randomId ?? this.#keep("randomId", () => this.#port.randomId(this.#agent, this.#task));
  }

  get sleep(): Methods["sleep"] {
    return this.#made?.sleep ?? this.#keep("sleep", (duration) => this.#port.sleep(duration, this.signal));
  }

  get llm() {
    return this.#port.llm(this.#agent, this.#task, this.signal);
  }

  get tools() {
    return this.#port.tools(this.#agent);
  }

  get memory() {
    return this.#port.memory(this.#agent, this.#task, this.signal);
  }
}

/** The input itself, not a copy with the task's fields added: one object less per idle agent. */
const idleContext = (input: AgentHostInput): AgentHostContext => input;

const outcome = (context: AgentHostContext) => ({
  agent: context.agent,
  incarnation: context.incarnation,
  taskId: context.task!.id,
  attempt: context.task!.attempt,
});

/**
 * Call a plain agent's handler on the host's task and send its settlement to the host. A run whose
 * signal was aborted (cancelled, timed out, hung, its agent restarting) was already taken off the
 * host, so its late settlement is dropped, as a stopped invoked actor's would be.
 */
const runHandler = (context: AgentHostContext, self: HostSelf): void => {
  const { id } = context.task!;
  const signal = context.signal!;
  const settle = (event: AgentHostEvent) => {
    if (!signal.aborted) self.send(event);
  };
  let result: unknown;
  try {
    result = context.handle!(context.task!, new TaskContext(context, self));
  } catch (error) {
    result = Promise.reject(error);
  }
  Promise.resolve(result).then(
    (output) => settle({ type: "troupe.task.done", taskId: id, output }),
    (error: unknown) => settle({ type: "troupe.task.error", taskId: id, error }),
  );
};

/** The host's parts, for a plain agent (no actors) or a machine agent (its run as `runTask`). */
const hostSetup = <TActors extends Record<string, AnyActorLogic>>(actors: TActors) =>
  setup({
    types: {
      input: {} as AgentHostInput,
      context: {} as AgentHostContext,
      events: {} as AgentHostEvent,
    },
    actors,
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
      runHandler: ({ context, self }) => runHandler(context, self),
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
  });

const idle = {
  entry: "clearTask",
  on: { "troupe.task.assign": { target: "busy", actions: "takeTask" } },
} as const;

const cancel = { "troupe.task.cancel": { guard: "isCurrentTask", target: "idle" } } as const;

const working = {
  initial: "working",
  states: {
    working: {
      on: { "troupe.human.asked": { target: "awaitingHuman", actions: "reportAwaitingHuman" } },
    },
    awaitingHuman: {
      on: { "troupe.human.answered": { target: "working", actions: "reportResumed" } },
    },
  },
} as const;

/** The root both hosts share: its context is plumbing, an idle host's context is its input. */
const hostRoot = {
  id: "agent",
  // Port, handler, signal and the task already in the trace's io record: not recorded in snapshots
  // (a machine agent's own machine keeps its own context recorded).
  meta: CONTEXT_NOT_RECORDED,
  context: ({ input }: { input: AgentHostInput }) => idleContext(input),
  initial: "idle",
} as const;

/** A plain agent's host: the handler runs from `busy`'s entry, its settlement moves the host on. */
export const agentHostMachine = hostSetup({}).createMachine({
  ...hostRoot,
  // Its usual steps are written as short entries of the trace (tracePack.ts, PLAIN_HOST_STEPS).
  meta: { ...CONTEXT_NOT_RECORDED, ...PLAIN_AGENT_HOST },
  states: {
    idle,
    busy: {
      entry: ["reportStarted", "runHandler"],
      on: {
        ...cancel,
        "troupe.task.done": { guard: "isCurrentTask", target: "idle", actions: "reportDone" },
        "troupe.task.error": { guard: "isCurrentTask", target: "idle", actions: "reportFailed" },
      },
      ...working,
    },
  },
});

/** A machine agent's host: its machine invoked as `task`, saved as it moves, typed events forwarded. */
const machineHostMachine = (machine: AnyStateMachine) =>
  hostSetup({ runTask: persistentRunner(machine) }).createMachine({
    ...hostRoot,
    states: {
      idle,
      busy: {
        entry: "reportStarted",
        invoke: {
          id: "task",
          src: "runTask",
          input: ({ context, self }): RunnerInput => {
            const { agent, port } = context;
            const task = context.task!;
            const saves = new RunSaves((snapshot) => port.persist(agent, task.id, task.attempt, snapshot));
            return { task, ctx: new TaskContext(context, self), snapshot: context.snapshot, saves };
          },
          onDone: { target: "idle", actions: "reportDone" },
          onError: { target: "idle", actions: "reportFailed" },
        },
        on: {
          ...cancel,
          "troupe.task.event": { guard: "isCurrentTask", actions: "forwardToTask" },
        },
        ...working,
      },
    },
  });

/** An agent host as spawned: a state machine taking `AgentHostInput`. */
export type AgentHostLogic = AnyStateMachine;

/** The host of a plain agent, as spawned: ten thousand idle hosts share one snapshot structure. */
export const agentHostLogic: AgentHostLogic = sharingInitialSnapshot(agentHostMachine, idleContext);

/** The host of a machine-form agent: the agent's machine invoked as its task's run. */
export const machineAgentHost = (machine: AnyStateMachine): AgentHostLogic =>
  sharingInitialSnapshot(machineHostMachine(machine), idleContext);
