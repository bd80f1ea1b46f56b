// The command that re-runs one recorded task offline, as the host offers it under a task's outcome
// (the Discord thread, the console): `troupe replay <trace file> --task <id>`, the file being the one
// the task's recording starts in (`troupe replay` reads on into the next files of a rotated folder
// when the task ends in a later one).

/** A path as a shell word: as it is when it needs no quoting, else in single quotes. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

export const replayCommandLine = (traceFile: string, taskId: string): string =>
  `troupe replay ${shellWord(traceFile)} --task ${shellWord(taskId)}`;
