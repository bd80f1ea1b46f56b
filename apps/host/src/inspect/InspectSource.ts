// Where the visualizer's records come from: a live Inspector (the host's team, streamed as it
// runs) or a recorded JSONL trace (`troupe inspect trace.jsonl`). Both hand out JSONL lines, so
// the server streams them without parsing or re-serializing. A trace also says what the page needs
// to offer its replay commands, and — opened with --replay — how its replay went; the live host
// says, task by task, which of its trace files a task's replay names.
import { randomUUID } from "node:crypto";
import type { Divergence, Inspector, MalformedTraceLine, TraceRecord } from "@troupe/runtime";
import type { MachineGraph } from "@troupe/runtime/inspect/graph";
import type { EarlierStart } from "../replay/earlierTaskStarts.ts";
import type { ReplayTarget } from "../replay/replayCommandLine.ts";

/** A divergence as the page shows it: where, the record to land on, the replay that finds it. */
export interface ShownDivergence extends Divergence {
  /** The trace record the page opens at and marks (see `divergencePoint`); null when none. */
  readonly at: number | null;
  /** The root task whose replay reproduces it. */
  readonly rootTaskId: string;
  /** How `troupe replay` prints it (`divergenceText`): where, expected and got. */
  readonly text: string;
}

export type ReplayOutcome =
  | { readonly identical: true; readonly tasks: number }
  | { readonly identical: false; readonly tasks: number; readonly divergence: ShownDivergence };

/** What the page of a recorded trace knows to offer its replay commands. */
export interface TraceReplay {
  /** The trace file the page was opened with, absolute: the file the commands name. */
  readonly trace: string;
  /** Tasks of the page whose recording starts in an earlier file of the folder (it rotated). */
  readonly earlier: Readonly<Record<string, EarlierStart>>;
  /** Opened with --replay: how the replay went; null otherwise. */
  readonly outcome: ReplayOutcome | null;
}

export interface InspectSource {
  readonly mode: "live" | "trace";
  /** Shown in the page's header: "live" or the trace file's name. */
  readonly title: string;
  /** Names this run: a page that reconnects and finds another run behind the stream starts over. */
  readonly run: string;
  /** Said in the page: a trace with no records, the lines of a trace that were skipped. */
  readonly notice: string | null;
  /** A recorded trace's replay commands and replay outcome; null for the live page. */
  readonly replay: TraceReplay | null;
  /**
   * The live host's: the root task and trace file that replay a task it recorded (undefined when it
   * records none, or not that task). Absent for a trace.
   */
  readonly replayTargetOf?: (taskId: string) => ReplayTarget | undefined;
  /** Lines for a reader that has seen every record up to seq `after` (0: a new reader). */
  backfill(after: number): readonly string[];
  /** Lines as they are made; returns the unsubscribe function (a trace never calls it). */
  subscribe(listener: (line: string, seq: number) => void): () => void;
  /** A machine's graph by its hash, for the chart layout. */
  machine(hash: string): MachineGraph | undefined;
}

/** The seq of a record's line, read from its start (records are written `{"v":1,"seq":…`). */
export const seqOfLine = (line: string): number => {
  const at = line.indexOf('"seq":');
  if (at < 0) return 0;
  return Number.parseInt(line.slice(at + 6, at + 24), 10) || 0;
};

const isCheckpointLine = (line: string) => line.includes('"kind":"checkpoint"');

/**
 * The host's live records. A new reader gets every machine, then the ring from its first checkpoint.
 * `replayTargetOf` is the host's recording's (HostTrace).
 */
export const liveSource = (
  inspector: Inspector,
  replayTargetOf: (taskId: string) => ReplayTarget | undefined = () => undefined,
): InspectSource => ({
  mode: "live",
  title: "live",
  run: randomUUID(),
  notice: null,
  replay: null,
  replayTargetOf,
  backfill(after) {
    const lines = inspector.lines();
    const first = lines.length > 0 ? seqOfLine(lines[0]!) : 0;
    if (after > 0 && first <= after + 1) return lines.filter((line) => seqOfLine(line) > after);
    // A new reader (or one that fell behind the ring): machines first, since the ring may have
    // dropped them, then from the first checkpoint if the ring no longer starts at seq 1.
    const machines = inspector.machines().map((record) => JSON.stringify(record));
    const start = first <= 1 ? 0 : Math.max(0, lines.findIndex(isCheckpointLine));
    return [...machines, ...lines.slice(start)];
  },
  subscribe: (listener) => inspector.subscribe((record, line) => listener(line, record.seq)),
  machine: (hash) => inspector.machines().find((record) => record.hash === hash)?.graph,
});

/** What the page says about a trace: nothing in it, or lines that were skipped. */
export const traceNotice = (
  records: readonly TraceRecord[],
  skipped: readonly MalformedTraceLine[],
): string | null => {
  const first = skipped[0];
  const why = first
    ? `${skipped.length.toLocaleString("en")} line(s) skipped as not trace records; line ${first.line}: ${first.message}`
    : "";
  if (records.length === 0)
    return first
      ? `This file holds no trace records (is it a trace written by Troupe?): ${why}`
      : "This trace is empty: it holds no records.";
  return first ? why : null;
};

/** A recorded trace, already read and checked; `skipped` are the lines that were not records. */
export const traceSource = (
  title: string,
  records: readonly TraceRecord[],
  skipped: readonly MalformedTraceLine[] = [],
  replay: TraceReplay | null = null,
): InspectSource => {
  const lines = records.map((record) => JSON.stringify(record));
  const machines = new Map<string, MachineGraph>();
  for (const record of records) if (record.kind === "machine") machines.set(record.hash, record.graph);
  return {
    mode: "trace",
    title,
    run: `trace:${title}`,
    notice: traceNotice(records, skipped),
    replay,
    backfill: (after) => (after <= 0 ? lines : lines.filter((_line, index) => records[index]!.seq > after)),
    subscribe: () => () => {},
    machine: (hash) => machines.get(hash),
  };
};
