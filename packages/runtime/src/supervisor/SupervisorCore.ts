// The supervisor's logic as a plain object: the coordinator of its parts, each in a module of its
// own — Router and Allocation (who takes a task), Dispatcher (starting it), TaskLedger (settling and
// cancelling), Breakers, AgentLifecycle (restarts and escalation), Watchdog (heartbeats, deadlines),
// RunReports, TaskModels and HumanRequests (the AgentPort), over one SupervisorState. It never
// touches XState directly: everything that must happen to actors or timers goes through
// `SupervisorEffects`, which the supervisor machine implements with XState actions (so timers run
// on the actor system's clock, simulated in tests).

import { randomUUID } from "node:crypto";
import type { AgentPort } from "../agent/AgentContext.ts";
import { isTroupeError, TroupeError, toTroupeError } from "../errors/TroupeError.ts";
import type { EventBus } from "../events/EventBus.ts";
import type { Approval } from "../human/Approval.ts";
import type { PollResult, ValidPoll } from "../human/Poll.ts";
import type { Llm, LlmTool } from "../llm/Llm.ts";
import { type TaskMemory, taskMemory } from "../memory/TaskMemory.ts";
import { createTask, newId, type Task, type TaskInput } from "../task/Task.ts";
import type { Clock } from "../time/Clock.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { sleepOn } from "../time/sleepOn.ts";
import { AgentLifecycle } from "./AgentLifecycle.ts";
import type { AgentSlot } from "./AgentSlot.ts";
import { Allocation } from "./Allocation.ts";
import { Breakers } from "./Breakers.ts";
import type { CircuitBreaker } from "./CircuitBreaker.ts";
import { Dispatcher } from "./Dispatcher.ts";
import type { FanOutJoins } from "./FanOutJoins.ts";
import { HumanRequests } from "./HumanRequests.ts";
import { Router } from "./Router.ts";
import { RunReports } from "./RunReports.ts";
import { SavedRuns } from "./SavedRuns.ts";
import type { AsyncResultEvent, SelfSend, SupervisorEffects } from "./SupervisorEffects.ts";
import type { SupervisorSettings } from "./SupervisorSettings.ts";
import { SupervisorState } from "./SupervisorState.ts";
import { newTaskEntry, type PreparedTask, type RunHandle, type TaskEntry } from "./TaskEntry.ts";
import { TaskLedger } from "./TaskLedger.ts";
import { TaskModels } from "./TaskModels.ts";
import { type TeamLife, type TeamStatus, teamStatus } from "./TeamStatus.ts";
import { Watchdog } from "./Watchdog.ts";

export type { HumanGateway } from "./HumanGateway.ts";
export type { AsyncResultEvent, SelfSend, SupervisorEffects, TimerEvent } from "./SupervisorEffects.ts";
export type { SupervisorSettings } from "./SupervisorSettings.ts";
export type { PreparedTask, RunHandle } from "./TaskEntry.ts";
export type { AgentStatus, Escalation, TeamLifecycle, TeamStatus } from "./TeamStatus.ts";

export class SupervisorCore implements AgentPort {
  readonly #state: SupervisorState;
  readonly #dispatch: Dispatcher;
  readonly #saved: SavedRuns;
  readonly #ledger: TaskLedger;
  readonly #allocation: Allocation;
  readonly #router: Router;
  readonly #breakers: Breakers;
  readonly #lifecycle: AgentLifecycle;
  readonly #watchdog: Watchdog;
  readonly #human: HumanRequests;
  readonly #reports: RunReports;
  readonly #models: TaskModels;

  /** Effects usable outside the supervisor's own transitions (the success path reported by agents). */
  readonly #direct: SupervisorEffects;

  /** `breakers`: each agent's breaker, by name, spawned by the supervisor machine. */
  constructor(
    settings: SupervisorSettings,
    selfSend: SelfSend,
    direct: SupervisorEffects,
    breakers: ReadonlyMap<string, CircuitBreaker>,
  ) {
    this.#state = new SupervisorState(settings, selfSend, breakers);
    this.#dispatch = new Dispatcher(this.#state);
    this.#saved = new SavedRuns(this.#state);
    this.#ledger = new TaskLedger(this.#state, this.#dispatch, this.#saved);
    this.#allocation = new Allocation(this.#state, this.#dispatch, this.#ledger);
    this.#router = new Router(this.#state, this.#allocation, this.#ledger);
    this.#breakers = new Breakers(this.#state, this.#allocation, this.#dispatch);
    this.#lifecycle = new AgentLifecycle(this.#state, {
      dispatch: this.#dispatch,
      ledger: this.#ledger,
      breakers: this.#breakers,
      port: this,
    });
    this.#watchdog = new Watchdog(this.#state, {
      dispatch: this.#dispatch,
      ledger: this.#ledger,
      allocation: this.#allocation,
      breakers: this.#breakers,
      lifecycle: this.#lifecycle,
    });
    this.#human = new HumanRequests(this.#state);
    this.#reports = new RunReports(this.#state);
    this.#models = new TaskModels(this.#state, this.#reports);
    this.#direct = direct;
  }

  get bus(): EventBus {
    return this.#state.settings.bus;
  }

  get settings(): SupervisorSettings {
    return this.#state.settings;
  }

  get clock(): Clock {
    return this.#state.clock;
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  start(fx: SupervisorEffects): void {
    this.#lifecycle.startAll(fx);
  }

  /** After an escalation: every agent afresh (see AgentLifecycle.restartAll). */
  restartAll(fx: SupervisorEffects): void {
    this.#lifecycle.restartAll(fx);
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    return this.#ledger.whenIdle();
  }

  /** The team is stopping: every open task fails with ShuttingDown, its saved run kept. */
  interruptAll(fx: SupervisorEffects, reason: string): void {
    this.#ledger.interruptAll(fx, reason);
  }

  // ── submitting ───────────────────────────────────────────────────────────

  /** Validate raw input into a task entry; throws InvalidTask naming the bad field. */
  prepare(
    raw: unknown,
    handle: RunHandle,
    extra: { parentTaskId?: string; fanOutId?: string; snapshot?: unknown } = {},
  ): PreparedTask {
    const { task, agent } = createTask(raw, {
      now: this.clock.now(),
      parentTaskId: extra.parentTaskId,
      fanOutId: extra.fanOutId,
      maxTaskBytes: this.#state.settings.maxTaskBytes,
    });
    if (this.#state.tasks.has(task.id)) {
      throw new TroupeError("InvalidTask", `invalid task: id "${task.id}" is already in use by an open task`);
    }
    return { task, agent, handle, snapshot: extra.snapshot };
  }

  submit(prepared: PreparedTask, fx: SupervisorEffects): void {
    this.#router.route(this.#open(prepared, fx), prepared.agent, fx);
  }

  /** Open a task: kept, recorded, announced as queued, its deadline running; routing comes next. */
  #open(prepared: PreparedTask, fx: SupervisorEffects): TaskEntry {
    const entry = newTaskEntry(prepared);
    this.#state.tasks.set(entry.task.id, entry);
    this.#state.settings.io?.accepted?.(
      entry.task,
      prepared.agent,
      { agents: this.#state.settings.agents.map((agent) => agent.name) },
      prepared.snapshot === undefined ? undefined : { snapshot: prepared.snapshot },
    );
    this.#state.publishTask(entry, {
      type: "task.queued",
      taskId: entry.task.id,
      agent: prepared.agent ?? null,
      text: entry.task.text,
      channel: entry.task.channel ?? null,
      parentTaskId: entry.task.parentTaskId ?? null,
    });
    this.#watchdog.startDeadline(entry, prepared.agent, fx);
    return entry;
  }

  // ── routing ──────────────────────────────────────────────────────────────

  classified(event: Extract<AsyncResultEvent, { type: "troupe.classified" }>, fx: SupervisorEffects): void {
    this.#router.classified(event, fx);
  }

  // ── allocation ───────────────────────────────────────────────────────────

  bid(event: Extract<AsyncResultEvent, { type: "troupe.bid" }>, fx: SupervisorEffects): void {
    this.#allocation.bid(event, fx);
  }

  auctionTimedOut(taskId: string, fx: SupervisorEffects): void {
    this.#allocation.auctionTimedOut(taskId, fx);
  }

  // ── the AgentPort: what running agents report and ask for ───────────────

  started(agent: string, taskId: string, attempt: number): void {
    this.#reports.started(agent, taskId, attempt);
  }

  heartbeat(agent: string, taskId: string, attempt: number): void {
    this.#reports.heartbeat(agent, taskId, attempt);
  }

  progress(agent: string, taskId: string, attempt: number, message: string): void {
    this.#reports.progress(agent, taskId, attempt, message);
  }

  emit(agent: string, taskId: string, attempt: number, event: { type: string }): void {
    this.#reports.emit(agent, taskId, attempt, event);
  }

  awaitingHuman(agent: string, taskId: string, attempt: number, question: string): void {
    this.#reports.awaitingHuman(agent, taskId, attempt, question);
  }

  resumed(agent: string, taskId: string, attempt: number): void {
    this.#reports.resumed(agent, taskId, attempt);
  }

  persist(agent: string, taskId: string, attempt: number, snapshot: unknown): void {
    this.#saved.persist(agent, taskId, attempt, snapshot);
  }

  llm(agent: string, task: Task, signal: AbortSignal): Llm {
    return this.#models.forTask(agent, task, signal);
  }

  memory(agent: string, task: Task, signal: AbortSignal): TaskMemory {
    const memory = taskMemory(this.#state.settings.memory, agent, task, signal, this.#state.settings.logger);
    return this.#state.settings.io?.memory?.(memory, { task, agent }) ?? memory;
  }

  now(agent: string, task: Task): number {
    const read = () => this.#state.settings.clock.now();
    return this.#state.settings.io?.now?.(read, { task, agent }) ?? read();
  }

  randomId(agent: string, task: Task): string {
    return this.#state.settings.io?.randomId?.(randomUUID, { task, agent }) ?? randomUUID();
  }

  async sleep(duration: Duration, signal: AbortSignal): Promise<void> {
    return sleepOn(this.#state.settings.clock, toMillis(duration, "ctx.sleep duration"), signal);
  }

  tools(agent: string): readonly LlmTool[] {
    return this.#state.settings.tools?.(agent) ?? [];
  }

  /** Set by the team: submits a sub-task and returns its result. */
  delegateTo: ((parent: Task, input: TaskInput, signal: AbortSignal) => Promise<unknown>) | undefined;

  delegate(agent: string, parent: Task, input: TaskInput, signal: AbortSignal): Promise<unknown> {
    if (!this.#state.current(agent, parent.id, parent.attempt)) {
      return Promise.reject(
        new TroupeError("Cancelled", `task ${parent.id} is no longer running on ${agent}`),
      );
    }
    return this.delegateTo!(parent, input, signal);
  }

  askHuman(agent: string, task: Task, question: string, signal: AbortSignal): Promise<string> {
    return this.#human.ask(agent, task, question, signal);
  }

  askApproval(...request: Parameters<AgentPort["askApproval"]>): Promise<Approval> {
    return this.#human.approve(...request);
  }

  poll(agent: string, task: Task, poll: ValidPoll, signal: AbortSignal): Promise<PollResult> {
    return this.#human.poll(agent, task, poll, signal);
  }

  // ── outcomes from agents ─────────────────────────────────────────────────

  #running(event: {
    agent: string;
    incarnation: number;
    taskId: string;
    attempt: number;
  }): AgentSlot | undefined {
    const slot = this.#state.slots.get(event.agent);
    if (!slot || slot.incarnation !== event.incarnation) return undefined;
    return slot.running &&
      slot.running.entry.task.id === event.taskId &&
      slot.running.entry.task.attempt === event.attempt
      ? slot
      : undefined;
  }

  /**
   * Submit tasks outside a supervisor transition. All are open before any is routed (a fan-out
   * branch that fails on routing finds every sibling to cancel), and each is routed and dispatched
   * before any agent is handed its task, so the tasks of one call start back to back.
   */
  submitNow(prepared: readonly PreparedTask[]): void {
    if (prepared.length === 1) return this.submit(prepared[0]!, this.#direct);
    const direct = this.#direct;
    const handOvers: Parameters<SupervisorEffects["send"]>[] = [];
    const fx: SupervisorEffects = {
      ...direct,
      send: (childId, event) => void handOvers.push([childId, event]),
    };
    const entries = prepared.map((task) => this.#open(task, fx));
    entries.forEach((entry, index) => {
      if (!entry.settled) this.#router.route(entry, prepared[index]!.agent, fx);
    });
    // A task taken away while the others were routed (its fan-out decided at once) is not handed over.
    for (const [childId, event] of handOvers)
      if (event.type !== "troupe.task.assign" || !event.signal.aborted) direct.send(childId, event);
  }

  done(agent: string, incarnation: number, taskId: string, attempt: number, output: unknown): void {
    this.#agentDone({ agent, incarnation, taskId, attempt, output }, this.#direct);
  }

  #agentDone(
    event: { agent: string; incarnation: number; taskId: string; attempt: number; output: unknown },
    fx: SupervisorEffects,
  ): void {
    const slot = this.#running(event);
    if (!slot) return;
    const { entry, startedAt } = slot.running!;
    this.#dispatch.release(slot, fx);
    this.#breakers.succeeded(slot, fx);
    this.#ledger.succeed(entry, event.output, this.clock.now() - startedAt, fx);
    this.#dispatch.next(slot, fx);
  }

  agentFailed(
    event: { agent: string; incarnation: number; taskId: string; attempt: number; error: unknown },
    fx: SupervisorEffects,
  ): void {
    const slot = this.#running(event);
    if (!slot) return;
    const { entry } = slot.running!;
    this.#dispatch.release(slot, fx);
    // A Troupe error is the task failing by its own work (its model is down, its input is bad, a
    // tool was refused): the task fails and the agent's breaker counts it, the actor is fine.
    // Anything else thrown is a bug: the actor is restarted, which counts toward restart intensity.
    const crashed = !isTroupeError(event.error) || event.error._tag === "AgentCrashed";
    const error = isTroupeError(event.error)
      ? event.error
      : toTroupeError(event.error, "AgentCrashed", `agent ${event.agent} crashed on task ${event.taskId}`);
    this.#ledger.fail(entry, error, fx);
    this.#breakers.failed(slot, error.reason, fx);
    if (crashed && !this.#lifecycle.restart(slot, `crashed: ${error.reason}`, fx)) return;
    this.#dispatch.next(this.#state.slots.get(event.agent)!, fx);
  }

  // ── timers ───────────────────────────────────────────────────────────────

  heartbeatDue(taskId: string, attempt: number, fx: SupervisorEffects): void {
    this.#watchdog.heartbeatDue(taskId, attempt, fx);
  }

  deadlinesDue(fx: SupervisorEffects): void {
    this.#watchdog.deadlinesDue(fx);
  }

  breakerResetDue(agent: string, fx: SupervisorEffects): void {
    this.#breakers.resetDue(agent, fx);
  }

  // ── cancellation ─────────────────────────────────────────────────────────

  /** Cancel a task or a whole fan-out by id; false when nothing open has that id. */
  cancel(id: string, reason: string, fx: SupervisorEffects): boolean {
    return this.#ledger.cancel(id, reason, fx);
  }

  // ── fan-out ──────────────────────────────────────────────────────────────

  openFanOut(...fanOut: Parameters<FanOutJoins["open"]>): void {
    this.#state.fanOuts.open(...fanOut);
  }

  newFanOutId(): string {
    return newId("f");
  }

  // ── reading ──────────────────────────────────────────────────────────────

  status(life: TeamLife): TeamStatus {
    return teamStatus(this.#state, life);
  }

  /** Agents that would start a task at once (none while the team takes no tasks). */
  idleAgents(accepting: boolean): number {
    return accepting ? this.#allocation.idleAgents() : 0;
  }

  /**
   * Whether a task with this input would start at once instead of waiting for a busy agent. One
   * the classifier must route starts when any agent is idle; one that would fail at once (bad
   * input, no agent for it, the team taking no tasks) counts as starting.
   */
  startsNow(raw: unknown, accepting: boolean): boolean {
    if (!accepting) return true;
    let created: ReturnType<typeof createTask>;
    try {
      created = createTask(raw, { now: this.clock.now(), maxTaskBytes: this.#state.settings.maxTaskBytes });
    } catch {
      return true;
    }
    const match = this.#router.peek(created.task, created.agent);
    if (match === "classifier") return this.#allocation.idleAgents() > 0;
    return match === undefined || this.#allocation.startsAtOnce(match);
  }

  childIdOf(agent: string): string | undefined {
    return this.#state.slots.get(agent)?.childId;
  }

  /** The agent running `taskId` now, if any. */
  runningAgentOf(taskId: string): string | undefined {
    const agent = this.#state.tasks.get(taskId)?.agent;
    return agent !== undefined && this.#state.slots.get(agent)?.running?.entry.task.id === taskId
      ? agent
      : undefined;
  }

  isFanOut(id: string): boolean {
    return this.#state.fanOuts.has(id);
  }

  isOpen(taskId: string): boolean {
    return this.#state.tasks.has(taskId);
  }

  /** Forward a typed event to the machine-form agent running `taskId`. */
  forward(taskId: string, event: { type: string }, fx: SupervisorEffects): void {
    const entry = this.#state.tasks.get(taskId);
    const slot = entry && this.#state.slotOf(entry);
    if (!slot || slot.running?.entry !== entry) return;
    fx.send(slot.childId, { type: "troupe.task.event", taskId, event });
  }

  /** The supervisor machine got an event it does not know: a warning, not a failure. */
  reportUnknownEvent(type: unknown): void {
    this.#state.warn(`the supervisor ignored an event of unknown type ${JSON.stringify(type)}`, { type });
  }
}
