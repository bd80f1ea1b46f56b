// Writes an Inspector's records to a JSONL trace (one record per line, format in TraceRecord.ts),
// to a file (created 0600: a trace holds task text) or any Writable, so a run can be read back with readTrace and replayed in the visualizer.
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { PRIVATE_FILE_MODE } from "../internal/privateFiles.ts";
import type { Inspector } from "./Inspector.ts";

export interface TraceRecording {
  /** Stop recording; for a file it opened, wait until everything is on disk and the file is closed. */
  close(): Promise<void>;
}

export interface RecordTraceOptions {
  /** Write the records already in the inspector's ring first (default true). */
  readonly includePast?: boolean;
}

/**
 * Record every record of `inspector` to `target`: a file path (created or truncated, closed by
 * `close()`) or a Writable the caller owns (left open). A write error stops the recording and is
 * what `close()` rejects with. Records are written in batches, at the latest on the next turn of
 * the event loop, and the inspected actors never wait for the disk: a slow target buffers them in
 * memory until it catches up.
 */
export const recordTrace = (
  inspector: Inspector,
  target: string | Writable,
  options: RecordTraceOptions = {},
): TraceRecording => {
  const ownsStream = typeof target === "string";
  const stream: Writable = ownsStream
    ? createWriteStream(target, { flags: "w", mode: PRIVATE_FILE_MODE })
    : target;
  let failure: unknown;
  let stop = (): void => {};
  const onError = (error: unknown) => {
    failure ??= error;
    stop();
  };
  stream.on("error", onError);

  // Lines are gathered and written in batches (one write per turn of the event loop, or per
  // 64 KiB): a write per record would cost the traced program more than making the record did. They
  // are kept as a list and joined once per batch: a string grown line by line is a rope whose
  // flattening, when the batch is encoded for the file, cost more than joining.
  let pending: string[] = [];
  let pendingChars = 0;
  let flushing: ReturnType<typeof setImmediate> | undefined;
  const flush = () => {
    if (flushing !== undefined) clearImmediate(flushing);
    flushing = undefined;
    if (pending.length === 0 || failure !== undefined) return;
    pending.push("");
    const chunk = pending.join("\n");
    pending = [];
    pendingChars = 0;
    stream.write(chunk);
  };
  const write = (line: string) => {
    if (failure !== undefined) return;
    pending.push(line);
    pendingChars += line.length + 1;
    if (pendingChars >= 65_536) flush();
    else flushing ??= setImmediate(flush);
  };
  if (options.includePast ?? true) for (const line of inspector.lines()) write(line);
  // Lines as the inspector packs them: the records of a turn in one line (tracePack.ts).
  stop = inspector.subscribeLines(write);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    inspector.flush();
    stop();
    flush();
    // A caller's Writable already holds every record; flushing and ending it is the caller's call.
    if (failure === undefined && ownsStream) {
      stream.end();
      await finished(stream).catch(onError);
    }
    stream.off("error", onError);
    if (failure !== undefined) throw failure;
  };
  return {
    close() {
      closing ??= close();
      return closing;
    },
  };
};
