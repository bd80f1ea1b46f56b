// `troupe inspect <trace.jsonl>`: read a recorded trace, serve the visualizer for it on this
// machine and print the page's address; stops on Ctrl-C, SIGTERM or the end of standard input
// when it is a pipe. It opens no browser. Bound beyond loopback (--host 0.0.0.0), the page needs a
// token made for this run, printed in the address. With --replay it first replays the trace's
// tasks (or one, --task) as `troupe replay` does, and the page opens at the first divergence.
import { basename, resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import {
  type AnyAgentDefinition,
  type MalformedTraceLine,
  readTrace,
  runOf,
  type TraceRecord,
} from "@troupe/runtime";
import { resolveHttpAccessConfig } from "../config/httpAccessConfig.ts";
import { isLoopbackHost, newAccessToken } from "../http/httpAccess.ts";
import { earlierTaskStarts } from "../replay/earlierTaskStarts.ts";
import { readTaskRecords } from "../replay/readTaskRecords.ts";
import {
  divergencePoint,
  divergenceText,
  type ReplayRequest,
  replayWithHostTeam,
} from "../replay/replayWithHostTeam.ts";
import { type ReplayOutcome, traceSource } from "./InspectSource.ts";
import { startInspectServer } from "./startInspectServer.ts";

export interface InspectCommand {
  readonly trace: string;
  readonly host: string;
  readonly port: number;
  /** Replay the trace's tasks first (only `taskId`'s when given) and open at the divergence. */
  readonly replay?: { readonly taskId?: string };
  /** The agents a program gave `main()`, for a replay of a team that had them. */
  readonly extraAgents?: readonly AnyAgentDefinition[];
}

export interface InspectIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  readonly stopped?: Promise<void>;
}

/** Every record of the trace; lines that are not records are skipped and said. */
const readAll = async (command: InspectCommand, io: InspectIo) => {
  const records: TraceRecord[] = [];
  const problems: MalformedTraceLine[] = [];
  for await (const record of readTrace(command.trace, { onMalformed: (problem) => problems.push(problem) }))
    records.push(record);
  if (problems.length > 0) {
    const first = problems[0]!;
    io.stderr.write(
      `troupe inspect: skipped ${problems.length} malformed line(s) of ${command.trace}; line ${first.line}: ${first.message}\n`,
    );
  }
  return { records, problems };
};

/**
 * The records a replayed task's page shows: those of the host run its replay compares — the one
 * that made its last attempt, when the trace was read on across a restart (each start's seqs begin
 * again at 1, so the page and its commands go by one run's).
 */
const shownOf = (records: readonly TraceRecord[], taskId: string | undefined): readonly TraceRecord[] => {
  const start = records.findLast(
    (record) => record.kind === "io" && record.port === "task" && record.taskId === taskId,
  );
  return start ? runOf(records, start) : records;
};

/** Replay the records as `troupe replay` does: identical, or the divergence as the page shows it. */
const replayOutcome = async (
  records: readonly TraceRecord[],
  shown: readonly TraceRecord[],
  request: ReplayRequest,
): Promise<ReplayOutcome> => {
  const { result, built } = await replayWithHostTeam(records, request);
  if (result.identical) return result;
  const { seq, rootTaskId } = divergencePoint(shown, result.divergence);
  return {
    identical: false,
    tasks: result.tasks,
    divergence: { ...result.divergence, at: seq, rootTaskId, text: divergenceText(result.divergence, built) },
  };
};

export const runInspect = async (command: InspectCommand, io: InspectIo): Promise<number> => {
  let read: { records: TraceRecord[]; problems: MalformedTraceLine[] };
  try {
    // Replayed, the records are those `troupe replay` reads (on into the next files for one task).
    read = command.replay
      ? { records: await readTaskRecords(command.trace, command.replay.taskId), problems: [] }
      : await readAll(command, io);
  } catch (error) {
    io.stderr.write(`troupe inspect: cannot read ${command.trace}: ${(error as Error).message}\n`);
    return 1;
  }
  const { problems } = read;
  const records = shownOf(read.records, command.replay?.taskId);
  let outcome: ReplayOutcome | null = null;
  if (command.replay) {
    try {
      outcome = await replayOutcome(read.records, records, {
        taskId: command.replay.taskId,
        extraAgents: command.extraAgents,
      });
    } catch (error) {
      io.stderr.write(`troupe inspect: ${(error as Error).message.replace(/^replay: /, "")}\n`);
      return 2;
    }
  }
  const token = isLoopbackHost(command.host) ? undefined : newAccessToken();
  const server = await startInspectServer({
    source: traceSource(basename(command.trace), records, problems, {
      trace: resolve(command.trace),
      earlier: await earlierTaskStarts(command.trace, records),
      outcome,
    }),
    host: command.host,
    port: command.port,
    // The name it was bound to is allowed as a Host, like the host's server.
    access: { allowedHosts: resolveHttpAccessConfig({}, command.host).allowedHosts, token },
  });
  const address = token ? `${server.url}?token=${token}` : server.url;
  const replayed =
    outcome === null
      ? ""
      : outcome.identical
        ? `identical: ${outcome.tasks} task${outcome.tasks === 1 ? "" : "s"}\n`
        : `${outcome.divergence.text}\n`;
  io.stdout.write(`${records.length} records from ${command.trace}\n${replayed}open ${address}\n`);
  const stopped =
    io.stopped ??
    new Promise<void>((done) => {
      process.once("SIGINT", () => done());
      process.once("SIGTERM", () => done());
    });
  await stopped;
  await server.close();
  return 0;
};
