// `troupe inspect` on the command line: its own options (the trace file, --replay, --task, --host,
// --port, --help), parsed here and handed to runInspect. Bad input is one line and exit code 2, like
// every command.
import type { Readable, Writable } from "node:stream";
import type { AnyAgentDefinition } from "@troupe/runtime";
import { parseTraceCommand, usageError } from "../cli/parseTraceCommand.ts";
import { runInspect } from "./runInspect.ts";

export const inspectUsage = `troupe inspect: replay a recorded trace in the statecharts visualizer.

Usage:
  troupe inspect <trace.jsonl> [--host <address>] [--port <number>]
  troupe inspect <trace.jsonl> --replay [--task <id>] [--host <address>] [--port <number>]

Reads the JSONL trace (written by recordTrace), serves the visualizer for it on this machine and
prints the page's address; open it in a browser. Nothing leaves the machine. Ctrl-C stops it.
The running host serves the same page, live, at /inspect on its HTTP server.

With --replay, the trace's tasks (or the one --task names) are first replayed offline as
"troupe replay" does; the page opens at the first divergence, marked on the timeline, with the
task's actor selected and what was expected against what the replay got. "troupe replay" prints
this command under a divergence.

Replay from here: pick a record of a task in the timeline and the Details panel shows the commands
that replay that task from this trace — "troupe replay <trace> --task <id>" and the fork
"... --until <seq> --live" from that record — with a button to copy each.

Options:
  --replay          Replay the recorded tasks first and open at the first divergence
  --task <id>       With --replay: replay only this task (and the subtasks it dispatched)
  --host <address>  Address to listen on (default 127.0.0.1)
  --port <number>   Port, 0 for any free one (default 0)
  -h, --help        Show this help and exit

Deep links: <address>#seq=120&actor=x:3 opens the run at seq 120 with actor x:3's chart.
`;

export interface InspectCommandIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stopped?: Promise<void>;
}

/** Run `troupe inspect` with the arguments after the command name; returns the exit code. */
export const inspectCommand = async (
  args: readonly string[],
  io: InspectCommandIo,
  extraAgents: readonly AnyAgentDefinition[] = [],
): Promise<number> => {
  const usage = usageError("inspect", io);
  const line = parseTraceCommand(
    "inspect",
    args,
    { options: OPTIONS, usage: inspectUsage, example: "run.jsonl" },
    io,
  );
  if (typeof line === "number") return line;
  const { trace, values } = line;
  const port = Number(values.port ?? "0");
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535))
    return usage(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
  if (values.task !== undefined && !values.replay) return usage("--task goes with --replay");
  return runInspect(
    {
      trace,
      host: values.host ?? "127.0.0.1",
      port,
      ...(values.replay ? { replay: { taskId: values.task }, extraAgents } : {}),
    },
    io,
  );
};

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  host: { type: "string" },
  port: { type: "string" },
  replay: { type: "boolean" },
  task: { type: "string" },
} as const;
