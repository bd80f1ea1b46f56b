// An open task as the supervisor keeps it, from submission until it settles: where it is (routing,
// queued, running), its route, its deadline, its saved run and what waits on it.
import type { TroupeError } from "../errors/TroupeError.ts";
import type { TaskEvent, TaskState } from "../events/catalogue.ts";
import type { Task } from "../task/Task.ts";
import type { RouteMatch } from "./routing.ts";

/** A validated task, ready to be submitted. */
export interface PreparedTask {
  readonly task: Task;
  readonly agent: string | undefined;
  readonly handle: RunHandle;
  readonly snapshot: unknown;
}

export interface RunHandle {
  resolve(output: unknown): void;
  reject(error: TroupeError): void;
  record(event: TaskEvent): void;
}

export interface TaskEntry {
  task: Task;
  readonly handle: RunHandle;
  /** The deadline's length, the key it is kept under in the DeadlineSchedule. */
  deadlineMs: number;
  /** A machine agent's saved run to resume from, and whether this run saved one. */
  snapshot: unknown;
  persisted: boolean;
  /** Whether this run asked people (their answers are saved beside the run). */
  askedPeople: boolean;
  state: TaskState | "routing";
  agent: string | undefined;
  match: RouteMatch | undefined;
  /** The wait-for edge this task holds while its parent waits on it. */
  waitEdge: { from: string; to: string } | undefined;
  controller: AbortController | undefined;
  auction: Map<string, number | undefined> | undefined;
  settled: boolean;
}

export const newTaskEntry = (prepared: PreparedTask): TaskEntry => ({
  task: prepared.task,
  handle: prepared.handle,
  state: "routing",
  deadlineMs: 0,
  snapshot: prepared.snapshot,
  persisted: false,
  askedPeople: false,
  agent: undefined,
  match: undefined,
  waitEdge: undefined,
  controller: undefined,
  auction: undefined,
  settled: false,
});
