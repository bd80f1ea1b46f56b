// The workloads every system in `npm run bench -- peers` implements, each in its own idiom:
// W1 sequential no-op tasks, W2 a fan-out of five 20 ms branches joined on all, W3 sequential
// three-step runs with the run's state saved after each step (in memory, and on disk in each system's
// embedded SQLite store where it has one), W4 idle instances kept in memory.
// W5 (kill -9 mid-run, then restart) is a child-process scenario, see crashScenario.ts.

export const BRANCHES = 5;
export const BRANCH_MS = 20;
export const STEPS = 3;

export type SystemName = "Troupe" | "LangGraph.js" | "Mastra";

export interface Workloads {
  readonly name: SystemName;
  /** What one run does, for the note printed with the figures (writes, records kept). */
  readonly note: string;
  /** W1: run `count` no-op tasks one after the other. */
  noop(): Promise<{ run(count: number): Promise<void>; stop(): Promise<void> }>;
  /** W2: one fan-out of BRANCHES branches of BRANCH_MS each, joined on all. */
  fanOut(): Promise<{ run(): Promise<void>; stop(): Promise<void> }>;
  /**
   * W3: one run of STEPS no-op steps, its state saved after each; resolves when it has finished.
   * In memory, or with `file` in the system's embedded SQLite store (W3 on disk; not every system has one).
   */
  steps(file?: string): Promise<{ run(id: string): Promise<void>; stop(): Promise<void> }>;
  /** Whether `steps(file)` saves to an embedded SQLite file. */
  readonly onDisk: boolean;
  /** W4: `count` idle instances, kept reachable by the returned value until it is dropped. */
  idle(count: number): Promise<unknown>;
}
