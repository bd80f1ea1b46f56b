// `troupe replay <trace.jsonl> [--task <id>]`: re-run the recorded tasks of a trace offline — no
// Ollama, Discord or Redis — with the host's agents, feeding the recorded model replies, tool
// results and human answers back on a simulated clock, and compare each actor's events and each
// task's outcome with the recording. Exit 0 with "identical: N tasks", or 1 with the first
// divergence and the command that opens it in the visualizer; bad input is one line and exit code 2,
// like every command.
import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { type AnyAgentDefinition, MalformedTraceError, type TraceRecord } from "@troupe/runtime";
import { parseTraceCommand, usageError } from "../cli/parseTraceCommand.ts";
import { readTaskRecords } from "./readTaskRecords.ts";
import { inspectReplayCommandLine } from "./replayCommandLine.ts";
import {
  divergencePoint,
  divergenceText,
  type HostReplay,
  replayWithHostTeam,
} from "./replayWithHostTeam.ts";
import { runFork } from "./runFork.ts";

export const replayUsage = `troupe replay: re-run recorded tasks offline and compare them with the recording.

Usage:
  troupe replay <trace.jsonl> [--task <id>]
  troupe replay <trace.jsonl> --task <id> --until <seq> --live

Reads a trace the host recorded (TROUPE_TRACE_DIR, default <data dir>/traces) and runs each task
again with this version of the agents, without Ollama, Discord or Redis: the model's recorded
replies (streamed tokens included), the tools' results and people's answers are fed back on a
simulated clock. Each actor's sequence of task events and each task's outcome are compared with
the recording.

Exit status: 0 and "identical: N tasks" when everything matches; 1 and the first divergence (task,
actor, seq, expected vs got) when something does not — a changed prompt shows as the model call
whose request is no longer the recorded one; 2 for bad input. Under a divergence it prints the
command that opens it in the visualizer, at the divergent record:
  troupe inspect <trace.jsonl> --replay --task <id>

Fork: with --until <seq> --live, the task is replayed up to trace record <seq>, then goes on live:
its next model call (or the first that is no longer the recorded one) and every one after it go to
the real model (OLLAMA_HOST, MODEL_<ROLE>), so another prompt or model can be tried from the exact
state the run was in. Nobody answers questions past the fork. The forked run is recorded in
TROUPE_TRACE_DIR, starting with a "fork" record naming where it forked from. "troupe inspect
<trace.jsonl>" offers this command, to copy, for the record picked in its timeline (replay from here).

Under each task's outcome (its Discord thread) the host offers the command that replays it. A task
that ends in a later file than it started in (the folder rotates each day and every 64 MiB) is read
on into the folder's next trace files. A task resumed after a restart replays its last attempt, from
the snapshot it resumed from, compared with what the host that resumed it recorded.

Options:
  --task <id>     Replay only this task (and the subtasks it dispatched)
  --until <seq>   With --live: replay up to this trace record, then go on live
  --live          Fork: go on with the real model past --until
  -h, --help      Show this help and exit
`;

export interface ReplayCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  task: { type: "string" },
  until: { type: "string" },
  live: { type: "boolean" },
} as const;

/** Run `troupe replay` with the arguments after the command name; returns the exit code. */
export const replayCommand = async (
  args: readonly string[],
  io: ReplayCommandIo & { readonly stdin?: Readable },
  extraAgents: readonly AnyAgentDefinition[] = [],
): Promise<number> => {
  const usage = usageError("replay", io);
  const line = parseTraceCommand(
    "replay",
    args,
    { options: OPTIONS, usage: replayUsage, example: ".troupe/traces/trace-20261207T134500Z.jsonl" },
    io,
  );
  if (typeof line === "number") return line;
  const { trace, values } = line;
  let records: TraceRecord[];
  try {
    records = await readTaskRecords(trace, values.task);
  } catch (error) {
    if (error instanceof MalformedTraceError) return usage(error.reason);
    const code = (error as { code?: string }).code;
    return usage(code === "ENOENT" ? `no trace at ${trace}` : (error as Error).message);
  }
  const { task, until, live } = values;
  if (live || until !== undefined) {
    if (!(live && until !== undefined && task !== undefined))
      return usage("a fork needs --task <id>, --until <seq> and --live together");
    if (!/^\d+$/.test(until)) return usage(`--until must be a trace record's seq, got "${until}"`);
    try {
      return await runFork(records, { trace, taskId: task, until: Number(until), extraAgents }, io);
    } catch (error) {
      return usage((error as Error).message.replace(/^replay: /, ""));
    }
  }
  let replayed: HostReplay;
  try {
    replayed = await replayWithHostTeam(records, { taskId: task, extraAgents });
  } catch (error) {
    return usage((error as Error).message.replace(/^replay: /, ""));
  }
  const { result } = replayed;
  if (result.identical) {
    io.stdout.write(`identical: ${result.tasks} task${result.tasks === 1 ? "" : "s"}\n`);
    return 0;
  }
  const { rootTaskId } = divergencePoint(records, result.divergence);
  io.stdout.write(
    `${divergenceText(result.divergence, replayed.built)}\nsee it in the visualizer: ${inspectReplayCommandLine(resolve(trace), rootTaskId)}\n`,
  );
  return 1;
};
