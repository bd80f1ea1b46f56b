// The host's Inspector and trace: one Inspector watches the team (the visualizer at /inspect reads
// it) and, unless TROUPE_TRACE_DIR is "off", records into rotated, pruned, private trace files
// everything `troupe replay` needs — each task's input, model calls with their streamed tokens, tool
// runs, human answers, approvals and votes, and outcome — every string redacted like the logs.
import { finished } from "node:stream/promises";
import {
  createInspector,
  type Inspector,
  type Logger,
  recordTaskIo,
  recordTrace,
  redactTraceValue,
  type TaskIoRecorder,
  TraceFiles,
} from "@troupe/runtime";
import { Context, Effect, Layer } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";

export interface HostTraceParts {
  readonly inspector: Inspector;
  /** The recording ports of the team; undefined when recording is off. */
  readonly recorder: TaskIoRecorder | undefined;
}

export class HostTrace extends Context.Service<HostTrace, HostTraceParts>()("@troupe/host/HostTrace") {}

export const traceLayer = (config: Pick<HostConfig, "trace">, logger: Logger) =>
  Layer.effect(
    HostTrace,
    Effect.acquireRelease(
      Effect.sync(() => {
        const inspector = createInspector({ redact: redactTraceValue });
        const { dir, retain } = config.trace;
        if (dir === undefined) return { inspector, recorder: undefined, stop: async () => {} };
        const files = new TraceFiles({ dir, retain });
        const recording = recordTrace(inspector, files);
        files.on("error", (error) =>
          logger.log("warn", "trace: recording stopped", { dir, error: (error as Error).message }),
        );
        logger.log("info", "trace: recording every task for troupe replay", { dir, retain });
        const stop = async () => {
          await recording.close().catch(() => {});
          files.end();
          await finished(files).catch(() => {});
        };
        return { inspector, recorder: recordTaskIo(inspector), stop };
      }),
      ({ stop }) => Effect.promise(stop),
    ),
  );
