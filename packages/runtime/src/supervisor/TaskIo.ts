// Where a team's tasks meet the world, for recording and replay: the task as the team accepted it,
// the model each run talks to, the clock readings, random ids and memory it uses, and how each task
// settled. A recorder writes them to a trace; a
// replay feeds the recorded model replies back and checks the rest. The team calls these hooks and
// never depends on what they do.
import type { Llm } from "../llm/Llm.ts";
import type { TaskMemory } from "../memory/TaskMemory.ts";
import type { Task } from "../task/Task.ts";

export type TaskOutcome =
  | { readonly status: "succeeded"; readonly output: unknown }
  | { readonly status: "failed"; readonly error: { readonly tag: string; readonly reason: string } };

export interface TaskIo {
  /**
   * A task the team accepted (before it is routed), with the agent it was addressed to and, for a
   * machine-form agent's run resumed after a crash, the saved snapshot it resumes from.
   */
  accepted?(
    task: Task,
    agent: string | undefined,
    team: { readonly agents: readonly string[] },
    resumed?: { readonly snapshot: unknown },
  ): void;
  /** The model one run of a task uses (`ctx.llm`), to be wrapped (recorded or replayed). */
  llm?(llm: Llm, run: { readonly task: Task; readonly agent: string }): Llm;
  /** A clock reading a run takes (`ctx.now()`): `read` gives the clock's, the hook what the run gets. */
  now?(read: () => number, run: { readonly task: Task; readonly agent: string }): number;
  /** A random id a run makes (`ctx.randomId()`): `make` makes one, the hook gives what the run gets. */
  randomId?(make: () => string, run: { readonly task: Task; readonly agent: string }): string;
  /** The memory one run of a task uses (`ctx.memory`), to be wrapped (recorded or replayed). */
  memory?(memory: TaskMemory, run: { readonly task: Task; readonly agent: string }): TaskMemory;
  /**
   * How a run of a task ended: succeeded, failed or cancelled. Each delivery of a task a durable
   * queue retries is a run of its own, accepted and settled; a run interrupted as the team stops or
   * escalates (ShuttingDown, Escalated) has no outcome: it goes on when the task is delivered again.
   */
  settled?(task: Task, agent: string | null, outcome: TaskOutcome): void;
}
