// The host's Inspector and trace: one Inspector watches the team (the visualizer at /inspect reads
// it) and, unless TROUPE_TRACE_DIR is "off", records into rotated, pruned, private trace files
// everything `troupe replay` needs — each task's input, model calls with their streamed tokens, tool
// runs, human answers, approvals and votes, memory calls, clock readings, random ids and outcome —
// every string redacted like the logs. It remembers which file each task's recording starts in (and
// the root task of each subtask), for the replay command shown under its outcome and the live
// visualizer's "replay from here".
import { finished } from "node:stream/promises";
import {
  createInspector,
  type Inspector,
  type Logger,
  recordTaskIo,
  recordTrace,
  redactTraceValue,
  silentLogger,
  type TaskIo,
  type TaskIoRecorder,
  TraceFiles,
  type TraceFilesOptions,
} from "@troupe/runtime";
import { Context, Effect, Layer } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";
import { type ReplayTarget, replayCommandLine } from "../replay/replayCommandLine.ts";

export interface HostTraceParts {
  readonly inspector: Inspector;
  /** The recording ports of the team; undefined when recording is off. */
  readonly recorder: TaskIoRecorder | undefined;
  /**
   * `troupe replay <trace file> --task <id>` for a task this host recorded (a root task, not a
   * subtask); undefined when recording is off or the task was not recorded here.
   */
  replayCommandOf(taskId: string): string | undefined;
  /**
   * The root task and trace file a replay of a recorded task (or subtask) names; undefined when
   * recording is off or the task was not recorded here.
   */
  replayTargetOf(taskId: string): ReplayTarget | undefined;
}

/** How many tasks' trace files are remembered, the latest (older ones lose their replay line). */
const REMEMBERED_TASKS = 10_000;

/** The host's recording: what the team records through, the replay command of a task, and the stop. */
export interface HostRecording {
  readonly recorder: TaskIoRecorder;
  replayCommandOf(taskId: string): string | undefined;
  replayTargetOf(taskId: string): ReplayTarget | undefined;
  /** Resolves once the first trace file is open (its name is known); a failure is logged, not thrown. */
  readonly opened: Promise<void>;
  /** Stop recording; resolves once every record is on disk and the file is closed. */
  stop(): Promise<void>;
}

/**
 * Record `inspector` into the rotated trace files of `options.dir`, noting the file each root task's
 * recording starts in.
 */
export const startHostRecording = (
  inspector: Inspector,
  options: TraceFilesOptions,
  logger: Logger = silentLogger,
): HostRecording => {
  const files = new TraceFiles(options);
  const recording = recordTrace(inspector, files);
  // A file started mid-run names the actors alive then, for a replay of a task that starts in it.
  files.on("rotated", () => inspector.checkpoint());
  files.on("error", (error) =>
    logger.log("warn", "trace: recording stopped", { dir: options.dir, error: (error as Error).message }),
  );
  const recorder = recordTaskIo(inspector);
  /** Root task id → the file current when it was accepted (null: before the first file was opened). */
  const startedIn = new Map<string, string | null>();
  /** Subtask id → its root task's id. */
  const rootOf = new Map<string, string>();
  /** Remember the latest `REMEMBERED_TASKS` tasks of `map`. */
  const remember = <V>(map: Map<string, V>, taskId: string, value: V) => {
    map.delete(taskId);
    map.set(taskId, value);
    if (map.size > REMEMBERED_TASKS) map.delete(map.keys().next().value!);
  };
  const io: TaskIo = {
    ...recorder.io,
    accepted(task, agent, team, resumed) {
      recorder.io.accepted?.(task, agent, team, resumed);
      if (task.parentTaskId !== undefined) {
        remember(rootOf, task.id, rootOf.get(task.parentTaskId) ?? task.parentTaskId);
        return;
      }
      // Its records go to this file or, when the file rotates before they are written, the next one:
      // `troupe replay` reads on into the next files until the task's outcome.
      remember(startedIn, task.id, files.path ?? null);
    },
  };
  const replayTargetOf = (taskId: string): ReplayTarget | undefined => {
    const rootTaskId = rootOf.get(taskId) ?? taskId;
    if (!startedIn.has(rootTaskId)) return undefined;
    const file = startedIn.get(rootTaskId) ?? files.firstPath;
    return file === undefined ? undefined : { rootTaskId, file };
  };
  // A folder it cannot write fails the first record's write too, which the error listener logs.
  const opened = files.open().catch(() => undefined);
  return {
    recorder: { ...recorder, io },
    opened,
    replayCommandOf(taskId) {
      const target = replayTargetOf(taskId);
      return target?.rootTaskId === taskId ? replayCommandLine(target.file, taskId) : undefined;
    },
    replayTargetOf,
    async stop() {
      await recording.close().catch(() => {});
      files.end();
      await finished(files).catch(() => {});
    },
  };
};

export class HostTrace extends Context.Service<HostTrace, HostTraceParts>()("@troupe/host/HostTrace") {}

export const traceLayer = (config: Pick<HostConfig, "trace">, logger: Logger) =>
  Layer.effect(
    HostTrace,
    Effect.acquireRelease(
      Effect.promise(async () => {
        const inspector = createInspector({ redact: redactTraceValue });
        const { dir, retain } = config.trace;
        if (dir === undefined)
          return {
            inspector,
            recorder: undefined,
            replayCommandOf: () => undefined,
            replayTargetOf: () => undefined,
            stop: async () => {},
          };
        logger.log("info", "trace: recording every task for troupe replay", { dir, retain });
        const recording = startHostRecording(inspector, { dir, retain }, logger);
        await recording.opened;
        return { inspector, ...recording };
      }),
      ({ stop }) => Effect.promise(stop),
    ),
  );
