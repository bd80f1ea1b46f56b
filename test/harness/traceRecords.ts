// A trace file's records for tests that change a recording: read whole, each pack line expanded
// (tracePack.ts), and written back a record a line — a trace readers take like the one recorded.
import { readFileSync, writeFileSync } from "node:fs";
import { decodeTraceLine, type TraceRecord } from "@troupe/runtime";

/** The records of a trace file, in order; a line that is not a record fails the test. */
export const traceRecordsOf = (path: string): TraceRecord[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      const { records, error } = decodeTraceLine(JSON.parse(line));
      if (error !== undefined) throw new Error(`${path}: ${error}`);
      return records;
    });

/** Write `records` to `path`, one JSONL line each. */
export const writeTraceRecords = (path: string, records: readonly unknown[]): void =>
  writeFileSync(path, `${records.map((record) => JSON.stringify(record)).join("\n")}\n`);
