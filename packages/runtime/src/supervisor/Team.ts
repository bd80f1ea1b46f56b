// The public face of a supervisor: `createSupervisor` starts one, and the Team it returns speaks
// Promises and AbortSignals (submit, ask, fanOut, cancel, drain) while the XState actor underneath
// does the work. Runs carry their result and an async iterator of their task's events.
import {
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  type EventObject,
  type InspectionEvent,
} from "xstate";
import type { AnyAgentDefinition } from "../agent/defineAgent.ts";
import { type OutputForm, outputFormatter } from "../agent/OutputFormat.ts";
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import type { TaskEvent } from "../events/catalogue.ts";
import { EventBus } from "../events/EventBus.ts";
import type { Llm, LlmTool } from "../llm/Llm.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { TeamMemory } from "../memory/TaskMemory.ts";
import { newId, type TaskInput } from "../task/Task.ts";
import { checkMaxTaskBytes, DEFAULT_MAX_TASK_BYTES } from "../task/taskLimits.ts";
import { type Clock, systemClock } from "../time/Clock.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { breakerMachine } from "./breakerMachine.ts";
import { breakerIdOf } from "./CircuitBreaker.ts";
import type { FanOutResult } from "./FanOutJoins.ts";
import type { JoinPolicy } from "./joinPolicy.ts";
import { RestartIntensity, type RestartStrategy } from "./restartStrategy.ts";
import type { Classifier, Route } from "./routing.ts";
import type {
  HumanGateway,
  PreparedTask,
  RunHandle,
  SupervisorCore,
  SupervisorSettings,
  TeamLifecycle,
  TeamStatus,
} from "./SupervisorCore.ts";
import { type SupervisorActorRef, supervisorMachine } from "./supervisorMachine.ts";
import type { TaskIo } from "./TaskIo.ts";
import type { TeamLife } from "./TeamStatus.ts";

export interface SupervisorOptions {
  readonly agents: readonly AnyAgentDefinition[];
  /** Tried in order; the first rule that matches decides. */
  readonly routes?: readonly Route[];
  /** Asked when no rule matched (for example the LLM orchestrator). */
  readonly classify?: Classifier;
  /** The agent that takes what nothing else matched. */
  readonly fallback?: string;
  readonly restart?: {
    readonly strategy?: RestartStrategy;
    readonly intensity?: number;
    readonly period?: Duration;
    /**
     * When restarts exceed the intensity the team escalates: every open task fails with Escalated
     * (transient) and every agent stops. `"stop"` (default): the supervisor actor errors and its
     * parent decides, as in OTP. `{ restartAfter, maxDelay }`: the team restarts itself — fresh agents,
     * breakers and intensity — after `restartAfter` (default 1s) doubling per escalation in a row up
     * to `maxDelay` (default 1m), with jitter, as an OTP top-level supervisor restarts its application.
     */
    readonly escalation?: "stop" | { readonly restartAfter?: Duration; readonly maxDelay?: Duration };
  };
  /** Per-agent queue limit (default 100); a full queue refuses new tasks at once with MailboxFull. */
  readonly mailbox?: { readonly limit?: number };
  /** The largest task input accepted, JSON-encoded (default 1 MiB); a larger one is refused with InvalidTask. */
  readonly maxTaskBytes?: number;
  /** Deadline of a task when neither the task nor its agent sets one (default 10m). */
  readonly deadline?: Duration;
  readonly clock?: Clock;
  readonly bus?: EventBus;
  readonly logger?: Logger;
  readonly human?: HumanGateway;
  /**
   * The model of each role, for `ctx.llm` (called once per role, e.g.
   * `(role) => createOllamaLlm({ role })` from `@troupe/runtime/ollama`).
   */
  readonly llm?: (role: string) => Llm;
  /**
   * The tools each agent may give its model, for `ctx.tools` (e.g. `(agent) => toolbox.toolsFor(agent)`
   * from `@troupe/runtime/mcp`: the agent's allow-list). None when absent.
   */
  readonly tools?: (agent: string) => readonly LlmTool[];
  /**
   * Memory for `ctx.memory`: a `ConversationMemory` per task thread and a `SemanticMemory` recalled
   * by similarity (`@troupe/runtime/memory`).
   */
  readonly memory?: TeamMemory;
  /** Where machine-form agents' runs are saved after every step, to resume after a crash. */
  readonly snapshots?: SnapshotStore;
  /** Hooks that record (or replay) each task's input, model calls and outcome. */
  readonly io?: TaskIo;
  /** XState inspection events of the supervisor and every agent (the Inspector records them). */
  readonly inspect?: (event: InspectionEvent) => void;
}

type OutputOf<A> = A extends { readonly "~types"?: { readonly output: infer O } } ? O : unknown;
type EventOf<A> = A extends { readonly "~types"?: { readonly event: infer E } } ? E : never;
type EmittedOf<A> = A extends { readonly "~types"?: { readonly emitted: infer E } } ? E : never;

/** A task event; `task.emitted` carries the agent's own typed event. */
export type RunEvent<TEmitted = { type: string }> =
  | Exclude<TaskEvent, { type: "task.emitted" }>
  | (Omit<Extract<TaskEvent, { type: "task.emitted" }>, "event"> & { readonly event: TEmitted });

/** One submitted task: its id, its result, its events as they happen, and ways to steer it. */
export interface Run<TOutput = unknown, TEvent extends EventObject = never, TEmitted = { type: string }> {
  readonly id: string;
  /** The output, or a TroupeError (NoRoute, MailboxFull, Timeout, Hung, Cancelled, AgentCrashed…). */
  readonly result: Promise<TOutput>;
  /** Every event of this task from `task.queued` on, ending after the terminal one. */
  readonly events: AsyncIterable<RunEvent<TEmitted>>;
  /** Send a typed event to a machine-form agent working on this task. */
  send(event: TEvent): void;
  cancel(reason?: string): boolean;
}

export interface FanOutOptions {
  readonly join?: JoinPolicy;
  /** Each branch's own deadline. */
  readonly deadline?: Duration;
  /** Aborting cancels the whole fan-out. */
  readonly signal?: AbortSignal;
}

class RunRecorder implements RunHandle {
  readonly history: TaskEvent[] = [];
  readonly result: Promise<unknown>;
  resolve!: (output: unknown) => void;
  reject!: (error: TroupeError) => void;
  #wake: (() => void) | undefined;
  done = false;

  constructor() {
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The result is also reported through events; an unobserved failure must not crash the process.
    this.result.catch(() => {});
  }

  record(event: TaskEvent): void {
    this.history.push(event);
    if (event.type === "task.succeeded" || event.type === "task.failed" || event.type === "task.cancelled")
      this.done = true;
    this.#wake?.();
  }

  async *events(): AsyncGenerator<TaskEvent> {
    let index = 0;
    while (true) {
      while (index < this.history.length) yield this.history[index++]!;
      if (this.done) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}

/** A run's `events`: each iteration reads the task's events from the first. */
class RunEvents implements AsyncIterable<RunEvent> {
  readonly #recorder: RunRecorder;

  constructor(recorder: RunRecorder) {
    this.#recorder = recorder;
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    return this.#recorder.events() as AsyncIterator<RunEvent>;
  }
}

const escalationPolicy = (
  option: NonNullable<SupervisorOptions["restart"]>["escalation"],
): SupervisorSettings["escalation"] =>
  option === undefined || option === "stop"
    ? { kind: "stop" }
    : {
        kind: "restart",
        restartAfterMs: toMillis(option.restartAfter ?? "1s", "restart.escalation.restartAfter"),
        maxDelayMs: toMillis(option.maxDelay ?? "1m", "restart.escalation.maxDelay"),
      };

const settingsFrom = (options: SupervisorOptions): SupervisorSettings => {
  const names = new Set<string>();
  for (const agent of options.agents) {
    if (names.has(agent.name))
      throw new TroupeError("InvalidAgent", `two agents are named "${agent.name}"; names must be unique`);
    names.add(agent.name);
  }
  for (const route of options.routes ?? []) {
    for (const target of route.targets ?? []) {
      if (!names.has(target)) {
        throw new TroupeError(
          "InvalidAgent",
          `a ${route.kind} route names agent "${target}", which is not in the team (${[...names].join(", ")})`,
        );
      }
    }
  }
  if (options.fallback !== undefined && !names.has(options.fallback)) {
    throw new TroupeError(
      "InvalidAgent",
      `the fallback agent "${options.fallback}" is not in the team (${[...names].join(", ")})`,
    );
  }
  const clock = options.clock ?? systemClock;
  return {
    agents: options.agents,
    routes: options.routes ?? [],
    classify: options.classify,
    fallback: options.fallback,
    strategy: options.restart?.strategy ?? "one_for_one",
    intensity: new RestartIntensity(
      options.restart?.intensity ?? 5,
      toMillis(options.restart?.period ?? "1m", "restart.period"),
    ),
    escalation: escalationPolicy(options.restart?.escalation),
    mailboxLimit: options.mailbox?.limit ?? 100,
    maxTaskBytes: checkMaxTaskBytes(options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES),
    defaultDeadlineMs: toMillis(options.deadline ?? "10m", "deadline"),
    clock,
    bus: options.bus ?? new EventBus({ clock }),
    logger: options.logger ?? silentLogger,
    human: options.human,
    snapshots: options.snapshots,
    llm: options.llm,
    tools: options.tools,
    io: options.io,
    memory: options.memory,
  };
};

/** Start a supervisor with its agents; returns the Team that submits work to it. */
export const createSupervisor = (options: SupervisorOptions): Team => {
  const settings = settingsFrom(options);
  const actor = createActor(supervisorMachine, {
    input: settings,
    clock: settings.clock,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const team = new Team(actor, settings.agents);
  actor.start();
  return team;
};

/** The supervisor machine's input for these options, to run a team as a child of another actor. */
export const supervisorInput = settingsFrom;

/**
 * A child of the supervisor that starts only when it first has to move — an agent's circuit
 * breaker, closed with nothing counted until its first failure — so an idle team holds no actor for
 * it. What the visualizer shows of it meanwhile: its logic and the snapshot it rests in.
 */
export interface LazyChild {
  /** Its id among the supervisor's children (`research.breaker`). */
  readonly id: string;
  /** Its actor once it has moved; undefined while it rests. */
  readonly actor: AnyActorRef | undefined;
  readonly logic: AnyActorLogic;
  /** Its actor's snapshot, or the initial one of `logic` it rests in. */
  readonly snapshot: unknown;
}

export class Team {
  readonly actor: SupervisorActorRef;
  /** Resolves when the team stops; rejects with an `Escalated` error when it gives up. */
  readonly closed: Promise<void>;

  readonly #agents: readonly AnyAgentDefinition[];

  /** `agents`: the team's definitions, whose `format` says how each one's output reads. */
  constructor(actor: SupervisorActorRef, agents: readonly AnyAgentDefinition[] = []) {
    this.actor = actor;
    this.#agents = agents;
    this.closed = new Promise<void>((resolve, reject) => {
      actor.subscribe({ complete: resolve, error: reject });
    });
    this.closed.catch(() => {});
    this.#core.delegateTo = (parent, input, signal) => {
      const run = this.#submit(input, { parentTaskId: parent.id });
      signal.addEventListener("abort", () => run.cancel(`the waiting task ${parent.id} ended`), {
        once: true,
      });
      return run.result;
    };
  }

  get #core(): SupervisorCore {
    return this.actor.getSnapshot().context.core;
  }

  get bus(): EventBus {
    return this.#core.bus;
  }

  get clock(): Clock {
    return this.#core.clock;
  }

  /** Its agents' output in `form`, by agent name: each agent's own formatters, else the readable default. */
  formatterFor(form: OutputForm): (agent: string, output: unknown) => string {
    return outputFormatter(this.#agents, form);
  }

  /**
   * Submit a task to be routed; text alone is a plain request. Bad input throws InvalidTask at once.
   * `snapshot` resumes a machine-form agent's saved run (a task delivered again after a crash).
   */
  submit(input: TaskInput | string, options: { snapshot?: unknown } = {}): Run {
    return this.#submit(typeof input === "string" ? { text: input } : input, options);
  }

  /** Submit to one agent, typed by that agent's output and events. */
  ask<A extends AnyAgentDefinition>(
    agent: A,
    input: Omit<TaskInput, "agent"> | string,
  ): Run<OutputOf<A>, EventOf<A>, EmittedOf<A>> {
    const task = typeof input === "string" ? { text: input } : input;
    return this.#submit({ ...task, agent: agent.name }, {}) as Run<OutputOf<A>, EventOf<A>, EmittedOf<A>>;
  }

  #submit(input: TaskInput, extra: { parentTaskId?: string; fanOutId?: string; snapshot?: unknown }): Run {
    const recorder = new RunRecorder();
    const prepared = this.#core.prepare(input, recorder, extra);
    const id = prepared.task.id;
    this.#start([prepared]);
    return {
      id,
      result: recorder.result,
      events: new RunEvents(recorder),
      send: (event) => this.send(id, event),
      cancel: (reason) => this.cancel(id, reason),
    };
  }

  /** Hand prepared tasks to the core, in one pass; a team that takes no tasks fails each at once. */
  #start(tasks: readonly PreparedTask[]): void {
    const { lifecycle, escalation } = this.#life();
    if (lifecycle === "running") {
      // Straight into the core: routing and dispatch never spawn or stop actors, so a task costs no
      // supervisor macrostep (lifecycle work — restarts, timers, escalation — stays in the actor).
      this.#core.submitNow(tasks);
      return;
    }
    const error = escalation
      ? new TroupeError(
          "Escalated",
          `the team is escalated and takes no tasks${escalation.restartAt === undefined ? "" : " until it restarts"}: ${escalation.reason}`,
        )
      : new TroupeError("ShuttingDown", `the team is ${lifecycle} and takes no new tasks`);
    for (const { task, handle } of tasks) {
      handle.record(
        this.bus.publish({
          type: "task.failed",
          taskId: task.id,
          agent: null,
          error: { tag: error._tag, reason: error.reason },
        }) as TaskEvent,
      );
      handle.reject(error);
    }
  }

  /**
   * Send an event to the machine-form agent working on a task. An event its machine cannot take in
   * its current state is refused with InvalidCommand, naming the state.
   */
  send(taskId: string, event: EventObject): void {
    if (typeof event?.type !== "string")
      throw new TroupeError("InvalidCommand", "an event needs a string `type`");
    const core = this.#core;
    const agent = core.runningAgentOf(taskId);
    if (!agent) throw new TroupeError("InvalidCommand", `task ${taskId} is not running on any agent`);
    const children = this.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    const runner = children[core.childIdOf(agent)!]?.getSnapshot().children.task as AnyActorRef | undefined;
    const snapshot = runner?.getSnapshot();
    if (snapshot && typeof snapshot.can === "function" && !snapshot.can(event)) {
      throw new TroupeError(
        "InvalidCommand",
        `agent ${agent} cannot take "${event.type}" in state ${JSON.stringify(snapshot.value)}`,
      );
    }
    this.actor.send({ type: "troupe.forward", taskId, event });
  }

  /** Fan one request out to several agents in parallel and join the answers by `join` (default all). */
  async fanOut<TOutput = unknown>(
    agents: readonly (string | AnyAgentDefinition)[],
    input: Omit<TaskInput, "agent" | "deadline"> | string,
    options: FanOutOptions = {},
  ): Promise<FanOutResult<TOutput>> {
    const join = options.join ?? "all";
    if (typeof join === "object" && !(join.quorum >= 1 && join.quorum <= agents.length)) {
      throw new TroupeError(
        "InvalidCommand",
        `quorum must be between 1 and ${agents.length}, got ${join.quorum}`,
      );
    }
    if (agents.length === 0) throw new TroupeError("InvalidCommand", "a fan-out needs at least one agent");
    options.signal?.throwIfAborted();
    const core = this.#core;
    const fanOutId = core.newFanOutId();
    const base = typeof input === "string" ? { text: input } : input;
    const deadline = options.deadline === undefined ? {} : { deadline: options.deadline };
    const branches = agents.map((agent) => ({
      agent: typeof agent === "string" ? agent : agent.name,
      taskId: newId("t"),
    }));
    // Every branch prepared (bad input throws here, before anything opens), then started in one pass.
    const tasks = branches.map(({ agent, taskId }) =>
      core.prepare({ ...base, ...deadline, agent, id: taskId }, new RunRecorder(), { fanOutId }),
    );
    const joined = new Promise<FanOutResult>((resolve, reject) =>
      core.openFanOut(fanOutId, join, branches, { resolve, reject }),
    );
    this.#start(tasks);
    const abort = () => this.cancel(fanOutId, "the fan-out was cancelled");
    options.signal?.addEventListener("abort", abort, { once: true });
    try {
      return (await joined) as FanOutResult<TOutput>;
    } finally {
      options.signal?.removeEventListener("abort", abort);
    }
  }

  /** Cancel a task or a whole fan-out by id; its signal aborts. False when nothing open has that id. */
  cancel(id: string, reason = "cancelled on request"): boolean {
    const core = this.#core;
    if (!core.isOpen(id) && !core.isFanOut(id)) return false;
    this.actor.send({ type: "troupe.cancel", id, reason });
    return true;
  }

  /**
   * Accept a command that crossed a boundary (console, chat, another process): validated, with
   * a clear InvalidCommand error for anything unknown or malformed.
   */
  dispatch(command: unknown): Run | boolean {
    if (
      typeof command !== "object" ||
      command === null ||
      typeof (command as { type?: unknown }).type !== "string"
    ) {
      throw new TroupeError(
        "InvalidCommand",
        "a command must be an object with a string `type` (submit or cancel)",
      );
    }
    const { type } = command as { type: string };
    if (type === "submit") return this.submit((command as { task?: unknown }).task as TaskInput);
    if (type === "cancel") {
      const { id } = command as { id?: unknown };
      if (typeof id !== "string") throw new TroupeError("InvalidCommand", "cancel needs a string `id`");
      return this.cancel(id);
    }
    throw new TroupeError("InvalidCommand", `unknown command type "${type}"; expected submit or cancel`);
  }

  status(): TeamStatus {
    return this.#core.status(this.#life());
  }

  /** Each agent's circuit breaker as the supervision tree shows it: its actor, or the chart it rests in. */
  lazyChildren(): LazyChild[] {
    return [...this.actor.getSnapshot().context.breakers.values()].map((breaker) => ({
      id: breakerIdOf(breaker.agent),
      actor: breaker.actor,
      logic: breakerMachine,
      snapshot: breaker.getSnapshot(),
    }));
  }

  /** Where the team is in its life: the supervisor machine's state, read from its snapshot. */
  #life(): TeamLife {
    const snapshot = this.actor.getSnapshot();
    const { escalation } = snapshot.context;
    const info = escalation && {
      reason: escalation.reason,
      since: escalation.since,
      restartAt: escalation.restartAt,
    };
    if (snapshot.status === "error") {
      // Gave up for good (the "stop" policy): the machine errored with the Escalated error.
      const error = snapshot.error as TroupeError;
      const since = error.data.since as number;
      return { lifecycle: "escalated", escalation: { reason: error.reason, since, restartAt: undefined } };
    }
    if (snapshot.status !== "active") return { lifecycle: "stopped", escalation: undefined };
    return { lifecycle: snapshot.value as TeamLifecycle, escalation: info };
  }

  /**
   * Agents that would start a task at once: running nothing, nothing waiting for them, their breaker
   * letting work through. None once the team stops taking tasks. A durable worker leases no more.
   */
  idleAgents(): number {
    return this.#core.idleAgents(this.#life().lifecycle === "running");
  }

  /**
   * Whether a task with this input would start at once rather than wait for a busy agent; one that
   * would fail at once (bad input, no agent for it, the team stopped) counts as starting.
   */
  startsNow(input: TaskInput): boolean {
    return this.#core.startsNow(input, this.#life().lifecycle === "running");
  }

  /**
   * Stop taking tasks, let queued and running ones finish within `deadline`, cancel what is left,
   * then stop every actor.
   */
  async drain(options: { deadline?: Duration; signal?: AbortSignal } = {}): Promise<void> {
    const core = this.#core;
    if (this.actor.getSnapshot().status !== "active") return;
    this.actor.send({ type: "troupe.drain" });
    const limitMs = toMillis(options.deadline ?? "30s", "drain deadline");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limitMs);
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.race([core.whenIdle(), outOfTime]);
    clearTimeout(timer);
    if (this.actor.getSnapshot().status === "active") {
      this.actor.send({ type: "troupe.interrupt-all", reason: "the team is shutting down" });
    }
    this.stop();
  }

  /** Stop at once: open tasks fail with ShuttingDown and running tasks' signals abort. */
  stop(): void {
    if (this.actor.getSnapshot().status !== "active") return;
    this.actor.send({ type: "troupe.stop", reason: "the team stopped" });
  }
}
