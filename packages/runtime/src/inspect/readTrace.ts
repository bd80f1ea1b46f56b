// Reads a JSONL trace back, line by line, each line checked against the TraceRecord schema. A bad
// line (not JSON, an unknown kind or version, a missing field) is reported with its line number and
// the rest of the trace is still read.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Result, Schema } from "effect";
import { TRACE_FORMAT_VERSION, TraceRecord } from "./TraceRecord.ts";

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

const KINDS: readonly string[] = TraceRecord.members.map((member) => member.fields.kind.literal);

/** Validate one record that crossed a boundary (a trace line, a message to the visualizer). */
export const decodeTraceRecord = (
  input: unknown,
): { ok: true; record: TraceRecord } | { ok: false; error: string } => {
  // The version and kind first, so the message says that rather than listing every member.
  const { v, kind } = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  if (v !== TRACE_FORMAT_VERSION) {
    return {
      ok: false,
      error: `unsupported trace format version ${JSON.stringify(v)} at ["v"]; this reader reads ${TRACE_FORMAT_VERSION}`,
    };
  }
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

export interface ReadTraceOptions {
  /**
   * Called for each malformed line, and reading goes on. Without it, malformed lines are collected
   * and a MalformedTraceError listing them is thrown after the last good record.
   */
  readonly onMalformed?: (problem: MalformedTraceLine) => void;
  readonly signal?: AbortSignal;
}

/** The records of a JSONL trace file, in file order; blank lines are skipped. */
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
      const decoded = decodeTraceRecord(parsed);
      if (decoded.ok) yield decoded.record;
      else report({ line: number, message: decoded.error, text: text.slice(0, 200) });
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (problems.length > 0) throw new MalformedTraceError(path, problems);
}
