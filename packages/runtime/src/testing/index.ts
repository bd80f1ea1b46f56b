// @troupe/runtime/testing: drive a team deterministically. The test team runs on XState's
// SimulatedClock (time moves only when the test says so), scripted agents do what a test tells
// them, and the helpers wait for events instead of sleeping.
import { SimulatedClock } from "xstate";
import type { AgentContext } from "../agent/AgentContext.ts";
import { type AnyAgentDefinition, defineAgent } from "../agent/defineAgent.ts";
import type { RuntimeEvent, RuntimeEventOf, RuntimeEventType } from "../events/catalogue.ts";
import { EventBus } from "../events/EventBus.ts";
import { createSupervisor, type SupervisorOptions, type Team } from "../supervisor/Team.ts";
import type { Task } from "../task/Task.ts";

export interface TestTeam {
  readonly team: Team;
  readonly clock: SimulatedClock;
  /** Every event published so far, in order. */
  readonly events: RuntimeEvent[];
  /** Move simulated time forward, firing due timers, then let promise callbacks run. */
  advance(ms: number): Promise<void>;
  /** The events of one type seen so far. */
  seen<T extends RuntimeEventType>(type: T): RuntimeEventOf<T>[];
  /** The next event matching, or one already seen when `includePast` (default true). */
  next<T extends RuntimeEventType>(
    type: T,
    where?: (event: RuntimeEventOf<T>) => boolean,
    options?: { includePast?: boolean; signal?: AbortSignal },
  ): Promise<RuntimeEventOf<T>>;
}

/** Let queued promise callbacks and XState's deferred work run, without advancing any clock. */
export const flush = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

export const createTestTeam = (options: Omit<SupervisorOptions, "clock" | "bus">): TestTeam => {
  const clock = new SimulatedClock();
  const bus = new EventBus({ clock });
  const events: RuntimeEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const team = createSupervisor({ ...options, clock, bus });
  const seen = <T extends RuntimeEventType>(type: T) =>
    events.filter((event): event is RuntimeEventOf<T> => event.type === type);
  return {
    team,
    clock,
    events,
    seen,
    async advance(ms) {
      await flush();
      clock.increment(ms);
      await flush();
    },
    next(type, where = () => true, { includePast = true, signal } = {}) {
      const past = includePast ? seen(type).find(where) : undefined;
      if (past) return Promise.resolve(past);
      return bus.waitFor(
        (event): event is RuntimeEventOf<typeof type> =>
          event.type === type && where(event as RuntimeEventOf<typeof type>),
        signal ?? AbortSignal.timeout(5_000),
      );
    },
  };
};

/** One step of a scripted agent: what it does with the n-th task it receives. */
export type ScriptStep =
  | { readonly reply: unknown }
  | { readonly fail: string }
  | { readonly hang: true }
  | { readonly run: (task: Task, ctx: AgentContext) => Promise<unknown> | unknown };

/**
 * An agent that follows a script, one step per task (the last step repeats). `hang` never answers
 * and never heartbeats, until its signal aborts. `calls` records every task it was given.
 */
export const scriptedAgent = (
  name: string,
  script: readonly ScriptStep[],
  options: Partial<Omit<Parameters<typeof defineAgent>[0], "name" | "handle" | "machine">> = {},
): AnyAgentDefinition & { readonly calls: Task[]; readonly aborted: Task[] } => {
  const calls: Task[] = [];
  const aborted: Task[] = [];
  const definition = defineAgent({
    ...options,
    name,
    async handle(task, ctx) {
      const step = script[Math.min(calls.length, script.length - 1)]!;
      calls.push(task);
      ctx.signal.addEventListener("abort", () => aborted.push(task), { once: true });
      if ("reply" in step) return step.reply;
      if ("fail" in step) throw new Error(step.fail);
      if ("run" in step) return step.run(task, ctx);
      return new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }),
      );
    },
  });
  return Object.assign(definition, { calls, aborted });
};

export { MemoryWorkQueue } from "./MemoryWorkQueue.ts";
export {
  type CommandReply,
  type ReactionBy,
  type RecordedCommand,
  type RecordedPost,
  type RecordingSurface,
  recordingSurface,
} from "./RecordingSurface.ts";
export { ReplayDivergedError, replayTrace } from "./replayTrace.ts";
export {
  type ModelStep,
  type ScriptedCall,
  ScriptedModel,
  type ScriptedModelOptions,
} from "./ScriptedModel.ts";
