// The command lines that replay a recorded task, as the host and the visualizer offer them to copy:
// `troupe replay <trace file> --task <id>` (under a task's outcome in the Discord thread and the
// console, and in the visualizer), the fork from a trace record (`… --until <seq> --live`, the
// visualizer's "replay from here"), and `troupe inspect <trace file> --replay --task <id>`, which
// opens a task's divergence in the visualizer. The file is the one the task's recording starts in
// (`troupe replay` reads on into the next files of a rotated folder when the task ends in a later
// one). Pure: the visualizer page imports it too.

/** Where a task's replay starts: its root task (a subtask is replayed with it) and the file its recording starts in. */
export interface ReplayTarget {
  readonly rootTaskId: string;
  readonly file: string;
}

/** A path as a shell word: as it is when it needs no quoting, else in single quotes. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

export const replayCommandLine = (traceFile: string, taskId: string): string =>
  `troupe replay ${shellWord(traceFile)} --task ${shellWord(taskId)}`;

/** The fork: the task replayed up to trace record `seq`, then on live. */
export const forkCommandLine = (traceFile: string, taskId: string, seq: number): string =>
  `${replayCommandLine(traceFile, taskId)} --until ${seq} --live`;

/** The visualizer on the task's replay, opened at its first divergence. */
export const inspectReplayCommandLine = (traceFile: string, taskId: string): string =>
  `troupe inspect ${shellWord(traceFile)} --replay --task ${shellWord(taskId)}`;
