// Re-run recorded tasks offline and compare them with their recording. Each root task (one nobody
// else dispatched) runs again in a fresh team on a simulated clock set to when it was accepted, with
// the same id and input — its last attempt, from the saved snapshot that attempt resumed from when a
// host restarted mid-task (the records of the host run that made it are compared); its model and human gateway answer from the recording (replayingPorts),
// subtasks are matched to the recorded ones in the order their parent dispatched them. Then each
// actor's sequence of task events and each task's outcome are compared with the recording; the first
// difference is the divergence.
import { EventBus } from "../../events/EventBus.ts";
import type { Llm } from "../../llm/Llm.ts";
import type { TaskOutcome } from "../../supervisor/TaskIo.ts";
import { createSupervisor, type SupervisorOptions } from "../../supervisor/Team.ts";
import type { TaskInput } from "../../task/Task.ts";
import { systemClock } from "../../time/Clock.ts";
import { SteppingClock } from "../../time/SteppingClock.ts";
import { createInspector, type Inspector } from "../Inspector.ts";
import type { TraceRecord, TraceRecordOf } from "../TraceRecord.ts";
import { type Json, type Redact, toJsonSafe } from "../toJsonSafe.ts";
import { type Step, treeSteps } from "./actorSteps.ts";
import { recordTaskIo } from "./recordTaskIo.ts";
import { type Divergence, type ForkPoint, replayingPorts } from "./replayingPorts.ts";

type IoRecord = TraceRecordOf<"io">;

/** The task that dispatched the task a `task` io record accepted; undefined for a root task. */
const parentOf = (accepted: IoRecord): string | undefined =>
  (accepted.request as { task?: { parentTaskId?: string } }).task?.parentTaskId;

/** The team a replay runs: what `createSupervisor` takes, minus what the replay provides. */
export type ReplayTeam = Omit<SupervisorOptions, "clock" | "bus" | "llm" | "human" | "io" | "inspect">;

export interface ReplayOptions {
  /** The team, or how to make it from the names of the agents the recorded team had. */
  readonly team: ReplayTeam | ((agents: readonly string[]) => ReplayTeam);
  /** Replay only this task (and its subtasks). */
  readonly taskId?: string;
  /** The redaction the recording used (the host's: `redactTraceValue`). */
  readonly redact?: Redact;
  /** The size bound of io values the recording used (default the Inspector's, 256 KiB). */
  readonly maxIoBytes?: number;
}

export type ReplayResult =
  | { readonly identical: true; readonly tasks: number }
  | { readonly identical: false; readonly tasks: number; readonly divergence: Divergence };

/** The first place two per-actor sequences differ, earliest in the recording first. */
const firstDifference = (
  rootId: string,
  expected: readonly Step[],
  got: readonly Step[],
): Divergence | undefined => {
  const byActor = (steps: readonly Step[]) => {
    const map = new Map<string, Step[]>();
    for (const step of steps) map.set(step.actor, [...(map.get(step.actor) ?? []), step]);
    return map;
  };
  const want = byActor(expected);
  const have = byActor(got);
  let first: Divergence | undefined;
  let firstAt = Number.POSITIVE_INFINITY;
  for (const actor of new Set([...want.keys(), ...have.keys()])) {
    const a = want.get(actor) ?? [];
    const b = have.get(actor) ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
      if (JSON.stringify(a[i]?.item) === JSON.stringify(b[i]?.item)) continue;
      const at = a[i]?.seq ?? Number.POSITIVE_INFINITY;
      if (first === undefined || at < firstAt) {
        const item = (a[i]?.item ?? b[i]?.item ?? {}) as { taskId?: string; type?: string };
        const taskId = item.taskId ?? rootId;
        first = {
          taskId,
          actor,
          seq: i + 1,
          traceSeq: a[i]?.seq ?? null,
          what: item.type === undefined ? "state" : "event",
          expected: a[i]?.item ?? null,
          got: b[i]?.item ?? null,
        };
        firstAt = at;
      }
      break;
    }
  }
  return first;
};

/** The recording, indexed: each task's io (its last attempt), its subtasks, its host run. */
const indexRecording = (records: readonly TraceRecord[]) => {
  const io = new Map<string, IoRecord[]>();
  const accepted = new Map<string, IoRecord>();
  const children = new Map<string, string[]>();
  /** The index in `records` where the host run of each task's last attempt starts. */
  const runStartOf = new Map<string, number>();
  let runStart = 0;
  let withStates = false;
  for (const [index, record] of records.entries()) {
    if (index > 0 && record.seq <= records[index - 1]!.seq) runStart = index;
    if (record.kind === "actor" || (record.kind === "checkpoint" && record.actors.length > 0))
      withStates = true;
    if (record.kind !== "io") continue;
    if (record.port === "task") {
      // A task run again (a retry, a resume after a restart) starts its io and its subtasks afresh:
      // the last attempt is the one replayed.
      io.set(record.taskId, []);
      children.set(record.taskId, []);
      accepted.set(record.taskId, record);
      runStartOf.set(record.taskId, runStart);
      const parent = parentOf(record);
      if (parent !== undefined) {
        const list = children.get(parent) ?? [];
        if (!list.includes(record.taskId)) list.push(record.taskId);
        children.set(parent, list);
      }
    }
    io.get(record.taskId)?.push(record);
  }
  return { io, accepted, children, runStartOf, withStates, records };
};

type Recording = ReturnType<typeof indexRecording>;

/** A task and its subtasks, as recorded. */
const treeOf = (recording: Recording, rootId: string): Set<string> => {
  const tree = new Set<string>();
  const visit = (id: string) => {
    tree.add(id);
    for (const child of recording.children.get(id) ?? []) visit(child);
  };
  visit(rootId);
  return tree;
};

/**
 * The recorded steps of each tree of `roots`, read in one pass over each host run they are in (a
 * pass per task would make replaying a day's trace quadratic in its tasks).
 */
const recordedSteps = (recording: Recording, roots: readonly string[]): Map<string, Step[]> => {
  const rootOf = new Map<string, string>();
  const rootsByRun = new Map<number, string[]>();
  for (const root of roots) {
    for (const id of treeOf(recording, root)) rootOf.set(id, root);
    const start = recording.runStartOf.get(root)!;
    rootsByRun.set(start, [...(rootsByRun.get(start) ?? []), root]);
  }
  const { records } = recording;
  const steps = new Map<string, Step[]>();
  for (const [start, inRun] of rootsByRun) {
    const ofRun = new Set(inRun);
    const found = treeSteps(
      runOf(records, records[start]!),
      (id) => {
        const root = rootOf.get(id);
        return root !== undefined && ofRun.has(root) ? { root, id } : undefined;
      },
      (root) => recording.accepted.get(root)!.seq,
      recording.withStates,
    );
    for (const [root, list] of found) steps.set(root, list);
  }
  return steps;
};

/**
 * The records of the host run `record` belongs to: one process's recording, whose seqs only grow,
 * across the files its folder rotated into. Records read on into a later start's file begin a new run.
 */
export const runOf = (records: readonly TraceRecord[], record: TraceRecord): readonly TraceRecord[] => {
  const at = records.indexOf(record);
  let start = at;
  while (start > 0 && records[start - 1]!.seq < records[start]!.seq) start -= 1;
  let end = at + 1;
  while (end < records.length && records[end]!.seq > records[end - 1]!.seq) end += 1;
  return records.slice(start, end);
};

/** The saved snapshot the recorded attempt resumed from (a machine-form agent's run after a crash). */
const resumedFrom = (accepted: IoRecord): { snapshot?: unknown } => {
  const { snapshot } = accepted.request as { snapshot?: unknown };
  return snapshot === undefined ? {} : { snapshot };
};

/** The task input that makes the same task again (same id, text, input, notes, conversation…). */
const inputOf = (accepted: IoRecord): TaskInput => {
  const { task, agent } = accepted.request as {
    task: Record<string, unknown>;
    agent: string | null;
  };
  return {
    id: String(task.id),
    ...(typeof task.text === "string" ? { text: task.text } : {}),
    ...(task.input !== undefined ? { input: task.input } : {}),
    ...(typeof task.channel === "string" ? { channel: task.channel } : {}),
    ...(typeof task.command === "string" ? { command: task.command } : {}),
    ...(Array.isArray(task.needs) ? { needs: task.needs as string[] } : {}),
    ...(typeof task.from === "string" ? { from: task.from } : {}),
    ...(typeof task.deadlineMs === "number" ? { deadline: task.deadlineMs } : {}),
    ...(Array.isArray(task.conversation)
      ? { conversation: task.conversation as TaskInput["conversation"] }
      : {}),
    ...(Array.isArray(task.notes) ? { notes: task.notes as string[] } : {}),
    ...(agent !== null ? { agent } : {}),
  } as TaskInput;
};

/** Let promise callbacks and XState's deferred work run. */
const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * How far simulated time moves at most when nothing else happens (to the next timer due, if sooner),
 * and how far in all before giving up.
 */
const IDLE_STEP_MS = 1_000;
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1_000;

/** Replay one root task (and its subtasks); the first divergence, or undefined when identical. */
/** Go on live past a point of the recording (see `forkTask`). */
export interface ForkOptions {
  /** The trace seq up to which recorded calls are replayed. */
  readonly until: number;
  /** The real model of each role, for the calls past that point. */
  readonly llm: (role: string) => Llm;
  /** Where the forked run is recorded (its io records included); a fresh Inspector when absent. */
  readonly inspector?: Inspector;
}

const replayOne = async (
  rootId: string,
  recording: Recording,
  options: ReplayOptions,
  fork?: ForkOptions,
  expected: readonly Step[] = [],
): Promise<{ divergence?: Divergence; forkedAt?: ForkPoint; outcome?: Json }> => {
  const maxBytes = options.maxIoBytes ?? 262_144;
  const normalize = (value: unknown, key: string) =>
    toJsonSafe(value, [key], { maxBytes, redact: options.redact });
  const accepted = recording.accepted.get(rootId)!;
  const idMap = new Map<string, string>([[rootId, rootId]]);
  const dispatched = new Map<string, number>();
  const outcomes = new Map<string, Json>();
  let divergence: Divergence | undefined;
  const diverged = (found: Divergence) => {
    divergence ??= found;
  };
  const recordedId = (taskId: string) => idMap.get(taskId) ?? taskId;
  let forkedAt: ForkPoint | undefined;
  const ports = replayingPorts({
    io: recording.io,
    recordedId,
    normalize,
    diverged,
    ...(fork ? { liveAfter: fork.until, forked: (at) => (forkedAt = at) } : {}),
  });
  // A replay runs on a simulated clock set to the recorded start; a fork goes on in real time.
  const simulated = fork ? undefined : new SteppingClock(accepted.at);
  const clock = simulated ?? systemClock;
  const bus = new EventBus({ clock });
  // The replay's own Inspector, made like the recording's, so both are read the same way.
  const inspector = fork?.inspector ?? createInspector({ redact: options.redact, clock, checkpointEvery: 0 });
  inspector.attach(bus);
  const recorder = fork ? recordTaskIo(inspector) : undefined;
  if (fork) {
    inspector.recordIo({
      taskId: rootId,
      port: "fork",
      call: 1,
      request: { until: fork.until, at: accepted.seq },
    });
  }
  const agents = (accepted.request as { team?: string[] }).team ?? [];
  const team = typeof options.team === "function" ? options.team(agents) : options.team;
  const offline = (): never => {
    throw new Error("replay: the model is given by the recording");
  };
  const running = createSupervisor({
    ...team,
    clock,
    bus,
    inspect: inspector.inspect,
    llm:
      fork?.llm ??
      ((role): Llm => ({
        model: `replay:${role}`,
        role,
        chat: offline,
        chatStructured: offline,
        runTools: offline,
      })),
    human: recorder ? recorder.human(ports.human) : ports.human,
    io: {
      accepted(task, agent, team, resumed) {
        recorder?.io.accepted?.(task, agent, team, resumed);
        if (task.parentTaskId === undefined) return;
        const parent = recordedId(task.parentTaskId);
        const n = dispatched.get(parent) ?? 0;
        dispatched.set(parent, n + 1);
        const recorded = recording.children.get(parent)?.[n];
        if (recorded === undefined) {
          diverged({
            taskId: parent,
            actor: "supervisor",
            seq: n + 1,
            traceSeq: null,
            what: "task",
            expected: null,
            got: normalize({ text: task.text }, "request"),
          });
          return;
        }
        idMap.set(task.id, recorded);
      },
      llm: (base, run) => {
        const replaying = ports.llm(base, run);
        return recorder?.io.llm?.(replaying, run) ?? replaying;
      },
      memory: (base, run) => {
        const replaying = ports.memory(base, run);
        return recorder?.io.memory?.(replaying, run) ?? replaying;
      },
      now: (read, run) =>
        recorder?.io.now ? recorder.io.now(() => ports.now(read, run), run) : ports.now(read, run),
      randomId: (make, run) =>
        recorder?.io.randomId
          ? recorder.io.randomId(() => ports.randomId(make, run), run)
          : ports.randomId(make, run),
      settled(task, agent, outcome: TaskOutcome) {
        recorder?.io.settled?.(task, agent, outcome);
        outcomes.set(recordedId(task.id), normalize(outcome, "reply"));
      },
    },
  });
  try {
    const run = running.submit(inputOf(accepted), resumedFrom(accepted));
    let done = false;
    run.result.then(
      () => (done = true),
      () => (done = true),
    );
    if (simulated) {
      for (let waited = 0; !done && waited < GIVE_UP_AFTER_MS; waited += IDLE_STEP_MS) {
        await settle();
        if (!done) simulated.advance(IDLE_STEP_MS);
      }
    } else await run.result.catch(() => {});
    await settle();
  } finally {
    running.stop();
  }
  if (fork) return { ...(forkedAt ? { forkedAt } : {}), outcome: outcomes.get(rootId) ?? null };
  if (divergence) return { divergence };

  const tree = treeOf(recording, rootId);
  const got =
    treeSteps(
      inspector.records(),
      (id) => {
        const recorded = recordedId(id);
        return tree.has(recorded) ? { root: rootId, id: recorded } : undefined;
      },
      () => 0,
      recording.withStates,
    ).get(rootId) ?? [];
  const different = firstDifference(rootId, expected, got);
  if (different) return { divergence: different };
  for (const id of tree) {
    const want = recording.io.get(id)?.find((io) => io.port === "outcome");
    if (!want) continue;
    const have = outcomes.get(id) ?? null;
    if (JSON.stringify(want.reply) !== JSON.stringify(have)) {
      const outcomeDivergence: Divergence = {
        taskId: id,
        actor: want.agent ?? "supervisor",
        seq: 1,
        traceSeq: want.seq,
        what: "outcome",
        expected: want.reply ?? null,
        got: have,
      };
      return { divergence: outcomeDivergence };
    }
  }
  return {};
};

/**
 * The tasks a replay runs: every recorded task nobody dispatched whose last run settled (succeeded,
 * failed or cancelled), or the one asked for.
 */
export const replayableTasks = (records: readonly TraceRecord[], taskId?: string): string[] => {
  const { accepted, io } = indexRecording(records);
  if (taskId !== undefined) return accepted.has(taskId) ? [taskId] : [];
  return [...accepted.entries()]
    .filter(([id, record]) => {
      return parentOf(record) === undefined && io.get(id)?.some((one) => one.port === "outcome");
    })
    .map(([id]) => id);
};

/**
 * The options with their team made once for each set of recorded agents: every task of a trace
 * replayed on the same agent definitions, as the recording ran them, instead of building the agents
 * (and walking their machines) again for each task.
 */
const teamsOnce = (options: ReplayOptions): ReplayOptions => {
  const { team } = options;
  if (typeof team !== "function") return options;
  const made = new Map<string, ReplayTeam>();
  return {
    ...options,
    team: (agents) => {
      const key = JSON.stringify(agents);
      let found = made.get(key);
      if (!found) {
        found = team(agents);
        made.set(key, found);
      }
      return found;
    },
  };
};

/** Replay the recorded tasks of `records`; identical, or the first divergence. */
export const replayTasks = async (
  records: readonly TraceRecord[],
  options: ReplayOptions,
): Promise<ReplayResult> => {
  const recording = indexRecording(records);
  const roots = replayableTasks(records, options.taskId);
  if (options.taskId !== undefined && roots.length === 0) {
    throw new Error(`replay: task ${options.taskId} is not in the trace (no io record of it was recorded)`);
  }
  const expected = recordedSteps(recording, roots);
  const once = teamsOnce(options);
  let tasks = 0;
  for (const root of roots) {
    const { divergence } = await replayOne(root, recording, once, undefined, expected.get(root));
    tasks += 1;
    if (divergence) return { identical: false, tasks, divergence };
  }
  return { identical: true, tasks };
};

/**
 * Replay one recorded task up to trace seq `until`, then go on live: the first model call past that
 * point (or the first that is not the recorded one) and every call after it go to `fork.llm`, so a
 * person can try another prompt or model from the exact state the run was in. The forked run is
 * recorded on `fork.inspector`, starting with a `fork` io record naming where it forked from.
 */
export const forkTask = async (
  records: readonly TraceRecord[],
  options: ReplayOptions & { readonly taskId: string },
  fork: ForkOptions,
): Promise<{ readonly forkedAt?: ForkPoint; readonly outcome: Json }> => {
  const recording = indexRecording(records);
  if (!recording.accepted.has(options.taskId)) {
    throw new Error(`replay: task ${options.taskId} is not in the trace (no io record of it was recorded)`);
  }
  const { forkedAt, outcome } = await replayOne(options.taskId, recording, options, fork);
  return { ...(forkedAt ? { forkedAt } : {}), outcome: outcome ?? null };
};
