// `defineAgent`: the one way to declare an agent, in plain form (an async `handle`) or machine form
// (a full XState machine built with `setup()`). Both become the same agent host machine, so the
// supervisor drives every agent alike and the types of input, output and events reach the caller.
import type { AnyStateMachine, EventFrom, EventObject, OutputFrom } from "xstate";
import { TroupeError } from "../errors/TroupeError.ts";
import { AGENT_NAME } from "../task/mentions.ts";
import type { Task } from "../task/Task.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import type { AgentContext } from "./AgentContext.ts";
import {
  type AgentHostLogic,
  agentHostLogic,
  machineAgentHost,
  type TaskHandler,
} from "./agentHostMachine.ts";
import type { OutputFormat } from "./OutputFormat.ts";

export interface AgentOptions {
  readonly name: string;
  readonly description?: string;
  /** What this agent can do; `route.capability()` matches a task's `needs` against these. */
  readonly capabilities?: readonly string[];
  /** The model role this agent uses (resolved from MODEL_<ROLE>). */
  readonly model?: string;
  /**
   * The step budget of one task: model calls it may make through `ctx.llm` (each tool-loop step
   * counts), default 32. Past it a call fails with `StepLimit`, and `runTools` defaults its
   * `maxSteps` to what is left.
   */
  readonly maxSteps?: number;
  /** A task that does not heartbeat within `deadline` is hung: cancelled and reassigned up to `attempts` times. */
  readonly heartbeat?: { readonly every?: Duration; readonly deadline: Duration; readonly attempts?: number };
  /** Circuit breaker: open after `maxFailures` consecutive failures, half-open after `resetAfter`. */
  readonly breaker?: { readonly maxFailures?: number; readonly resetAfter?: Duration };
  /** How long one task may take in all, unless the task says otherwise. */
  readonly deadline?: Duration;
  /** Queue limit of this agent (the team's `mailbox.limit` when absent). */
  readonly mailbox?: { readonly limit?: number };
  /** For auction routes: the cost of taking this task (lower wins), or undefined to abstain. */
  readonly bid?: (task: Task) => number | undefined | Promise<number | undefined>;
}

interface AgentTypes<TInput, TOutput, TEvent extends EventObject, TEmitted extends { type: string }> {
  readonly input: TInput;
  readonly output: TOutput;
  readonly event: TEvent;
  readonly emitted: TEmitted;
}

/** A declared agent. The phantom `~types` carries its input, output and event types to callers. */
export interface AgentDefinition<
  TInput = unknown,
  TOutput = unknown,
  TEvent extends EventObject = EventObject,
  TEmitted extends { type: string } = { type: string },
> {
  readonly name: string;
  readonly description: string;
  readonly kind: "handle" | "machine";
  readonly capabilities: readonly string[];
  readonly model: string | undefined;
  readonly maxSteps: number;
  readonly heartbeatDeadlineMs: number | undefined;
  readonly hungAttempts: number;
  readonly breaker: { readonly maxFailures: number; readonly resetAfterMs: number };
  readonly deadlineMs: number | undefined;
  readonly mailboxLimit: number | undefined;
  readonly bid: AgentOptions["bid"];
  /** The agent host machine (shared by plain agents; with the agent's machine provided otherwise). */
  readonly logic: AgentHostLogic;
  /** A plain agent's handler. */
  readonly handle: TaskHandler | undefined;
  /** How its output reads on each surface (OutputFormat.ts); the readable default when absent. */
  readonly format: OutputFormat<TOutput> | undefined;
  readonly "~types"?: AgentTypes<TInput, TOutput, TEvent, TEmitted>;
}

/** Model calls one task may make through `ctx.llm` when its agent does not say (`maxSteps`). */
export const DEFAULT_TASK_STEPS = 32;

// biome-ignore lint/suspicious/noExplicitAny: an agent of any input, output and events
export type AnyAgentDefinition = AgentDefinition<any, any, any, any>;

export type HandleAgentOptions<TInput, TOutput, TEmitted extends { type: string }> = AgentOptions & {
  readonly handle: (task: Task<TInput>, ctx: AgentContext<TEmitted>) => Promise<TOutput> | TOutput;
  readonly machine?: never;
  /** How its output reads: chat markdown, plain text, a notification line (OutputFormat.ts). */
  readonly format?: OutputFormat<Awaited<TOutput>>;
};

export type MachineAgentOptions<TMachine extends AnyStateMachine> = AgentOptions & {
  readonly machine: TMachine;
  readonly handle?: never;
  /** How its output reads: chat markdown, plain text, a notification line (OutputFormat.ts). */
  readonly format?: OutputFormat<OutputFrom<TMachine>>;
};

// Shared by every definition that leaves them out: a team of ten thousand agents keeps one of each.
const DEFAULT_BREAKER = Object.freeze({ maxFailures: 5, resetAfterMs: 30_000 });
const NO_CAPABILITIES: readonly string[] = Object.freeze([]);

export function defineAgent<TMachine extends AnyStateMachine>(
  options: MachineAgentOptions<TMachine>,
): AgentDefinition<unknown, OutputFrom<TMachine>, EventFrom<TMachine>, { type: string }>;
export function defineAgent<
  TInput = unknown,
  TOutput = unknown,
  TEmitted extends { type: string } = { type: string },
>(
  options: HandleAgentOptions<TInput, TOutput, TEmitted>,
): AgentDefinition<TInput, Awaited<TOutput>, never, TEmitted>;
export function defineAgent(
  options: AgentOptions & {
    handle?: (task: Task, ctx: AgentContext) => unknown;
    machine?: AnyStateMachine;
    format?: OutputFormat<never>;
  },
): AnyAgentDefinition {
  const field = (name: string) => `agent "${options.name}": ${name}`;
  if (typeof options.name !== "string" || !AGENT_NAME.test(options.name)) {
    throw new TroupeError(
      "InvalidAgent",
      `agent name must be lower-case letters, digits, "-" or "_" (at most 32), got ${JSON.stringify(options.name)}`,
    );
  }
  if ((options.handle === undefined) === (options.machine === undefined)) {
    throw new TroupeError("InvalidAgent", `${field("give exactly one of `handle` or `machine`")}`);
  }
  if (options.maxSteps !== undefined && (!Number.isInteger(options.maxSteps) || options.maxSteps < 1)) {
    throw new TroupeError(
      "InvalidAgent",
      field(`maxSteps must be a whole number of at least 1, got ${options.maxSteps}`),
    );
  }
  const ms = (value: Duration | undefined, name: string) =>
    value === undefined ? undefined : toMillis(value, field(name));
  return {
    name: options.name,
    description: options.description ?? "",
    kind: options.machine ? "machine" : "handle",
    capabilities: options.capabilities ?? NO_CAPABILITIES,
    model: options.model,
    maxSteps: options.maxSteps ?? DEFAULT_TASK_STEPS,
    heartbeatDeadlineMs: ms(options.heartbeat?.deadline, "heartbeat.deadline"),
    hungAttempts: options.heartbeat?.attempts ?? 3,
    breaker: options.breaker
      ? {
          maxFailures: options.breaker.maxFailures ?? DEFAULT_BREAKER.maxFailures,
          resetAfterMs: ms(options.breaker.resetAfter, "breaker.resetAfter") ?? DEFAULT_BREAKER.resetAfterMs,
        }
      : DEFAULT_BREAKER,
    deadlineMs: ms(options.deadline, "deadline"),
    mailboxLimit: options.mailbox?.limit,
    bid: options.bid,
    logic: options.machine ? machineAgentHost(options.machine) : agentHostLogic,
    handle: options.handle as TaskHandler | undefined,
    format: options.format as OutputFormat<unknown> | undefined,
  };
}
