// Reads a JSONL trace back, line by line, each line checked against the TraceRecord schema. A bad
// line (not JSON, an unknown kind or version, a missing field) is reported with its line number and
// the rest of the trace is still read.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Result, Schema } from "effect";
import { TRACE_FORMAT_VERSION, TraceRecord } from "./TraceRecord.ts";
import { expandPackLine, isPackLine } from "./tracePack.ts";

/** A line of a trace that is not a valid record. */
export interface MalformedTraceLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** What is wrong with it, naming the field. */
  readonly message: string;
  /** The line itself, cut to 200 characters. */
  readonly text: string;
}

/** Thrown after the last good record when a trace had bad lines and nobody asked to hear about them. */
export class MalformedTraceError extends Error {
  readonly _tag = "MalformedTrace";
  readonly reason: string;
  readonly lines: readonly MalformedTraceLine[];

  constructor(path: string, lines: readonly MalformedTraceLine[]) {
    const first = lines[0]!;
    const reason = `trace ${path} has ${lines.length} malformed line(s); line ${first.line}: ${first.message}`;
    super(reason);
    this.name = "MalformedTraceError";
    this.reason = reason;
    this.lines = lines;
  }
}

const decodeRecord = Schema.decodeUnknownResult(TraceRecord);

const versionError = (v: unknown): string =>
  `unsupported trace format version ${JSON.stringify(v)} at ["v"]; this reader reads ${TRACE_FORMAT_VERSION}`;

const KINDS: readonly string[] = TraceRecord.members.map((member) => member.fields.kind.literal);

/** Validate one record that crossed a boundary (a trace line, a message to the visualizer). */
export const decodeTraceRecord = (
  input: unknown,
): { ok: true; record: TraceRecord } | { ok: false; error: string } => {
  // The version and kind first, so the message says that rather than listing every member.
  const { v, kind } = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  if (v !== TRACE_FORMAT_VERSION) return { ok: false, error: versionError(v) };
  if (typeof kind !== "string" || !KINDS.includes(kind)) {
    return {
      ok: false,
      error: `unknown record kind ${JSON.stringify(kind)} at ["kind"]; expected ${KINDS.join(", ")}`,
    };
  }
  const result = decodeRecord(input);
  return Result.isFailure(result)
    ? { ok: false, error: String(result.failure.message).replaceAll(/\s*\n\s*/g, " ") }
    : { ok: true, record: result.success };
};

/**
 * The records of one parsed trace line: a record's own line, or a pack line (tracePack.ts) of many,
 * each checked as `decodeTraceRecord` checks one. `error` says what is wrong with the line (a bad
 * pack entry ends the line there; the records before it stand).
 */
export const decodeTraceLine = (input: unknown): { records: TraceRecord[]; error?: string } => {
  if (!isPackLine(input)) {
    const decoded = decodeTraceRecord(input);
    return decoded.ok ? { records: [decoded.record] } : { records: [], error: decoded.error };
  }
  const { v } = input as { v?: unknown };
  if (v !== TRACE_FORMAT_VERSION) return { records: [], error: versionError(v) };
  const expanded = expandPackLine(input);
  const records: TraceRecord[] = [];
  for (let index = 0; index < expanded.records.length; index += 1) {
    const decoded = decodeTraceRecord(expanded.records[index]);
    if (!decoded.ok) return { records, error: `pack entry ${index}: ${decoded.error}` };
    records.push(decoded.record);
  }
  return expanded.error === undefined ? { records } : { records, error: expanded.error };
};

export interface ReadTraceOptions {
  /**
   * Called for each malformed line, and reading goes on. Without it, malformed lines are collected
   * and a MalformedTraceError listing them is thrown after the last good record.
   */
  readonly onMalformed?: (problem: MalformedTraceLine) => void;
  readonly signal?: AbortSignal;
}

/** The records of a JSONL trace file, in file order (a pack line's in its order); blank lines are skipped. */
export async function* readTrace(path: string, options: ReadTraceOptions = {}): AsyncGenerator<TraceRecord> {
  const input = createReadStream(path, { encoding: "utf8", signal: options.signal });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const problems: MalformedTraceLine[] = [];
  const report = options.onMalformed ?? ((problem: MalformedTraceLine) => void problems.push(problem));
  let number = 0;
  try {
    for await (const text of lines) {
      number += 1;
      if (text.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        report({ line: number, message: `not JSON: ${(error as Error).message}`, text: text.slice(0, 200) });
        continue;
      }
      const decoded = decodeTraceLine(parsed);
      yield* decoded.records;
      if (decoded.error !== undefined)
        report({ line: number, message: decoded.error, text: text.slice(0, 200) });
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (problems.length > 0) throw new MalformedTraceError(path, problems);
}
