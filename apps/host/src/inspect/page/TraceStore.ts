/// <reference lib="dom" />
// The page's copy of the run: every record in seq order, the machines, every actor ever seen (for
// names, and the agent each incarnation belongs to), the agents' restarts, the timeline's rows (and
// the record a replay diverged at, listed whatever its kind), the tasks' parents, and the replay
// state — live at the end, or at any earlier point from the nearest kept state (one every
// CHECKPOINT_EVERY records), so scrubbing stays fast at 100,000 records.
import {
  type ActorView,
  applyRecord,
  cloneReplayState,
  createReplayState,
  type ReplayState,
  type TraceRecord,
  type TraceRecordOf,
} from "@troupe/runtime/inspect/graph";
import { addTaskStarts, type TaskParents } from "../../replay/recordedTasks.ts";

const CHECKPOINT_EVERY = 2_000;

/** What the page remembers of an actor after it is gone. */
export interface ActorName {
  readonly actor: string;
  readonly id: string;
  readonly parent: string | null;
  readonly machine: string | null;
  readonly graph: string | null;
  /** What the page calls it: its id, or for a root actor (a supervisor) its machine's name. */
  readonly label: string;
  /**
   * The same for every incarnation: an agent's name (`echo` for echo#1, echo#2…), a child's path
   * under it (`echo/task`), a root actor's label. The Actor filter and the selection go by it.
   */
  readonly lineage: string;
}

/** An incarnation's id without its number: `echo#2` → `echo`. */
export const withoutIncarnation = (id: string): string => id.replace(/#\d+$/, "");

export const isTimelineRecord = (record: TraceRecord): boolean =>
  record.kind === "event" || record.kind === "runtime" || record.kind === "llm" || record.kind === "approval";

export interface TraceStore {
  readonly records: TraceRecord[];
  readonly machines: Map<string, TraceRecordOf<"machine">>;
  readonly names: Map<string, ActorName>;
  /** The actor (session id) last seen with each id (`echo#2` → `x:7`). */
  readonly actorById: Map<string, string>;
  /** The supervisors' actors. */
  readonly supervisors: Set<string>;
  /** The `agent.restarted` record (index) that started each incarnation, by its id (`echo#2`). */
  readonly restarts: Map<string, number>;
  /** Indices (into records) of the records the timeline lists. */
  readonly rows: number[];
  /** The trace record a replay of this trace diverged at (`troupe inspect --replay`), or null. */
  readonly divergedAt: number | null;
  /** List the record with this seq in the timeline as the divergence; before its record is added. */
  markDivergence(seq: number): void;
  /** The recorded tasks' parents, from their `task` io records. */
  readonly taskParents: TaskParents;
  /** Indices of the records holding each actor's transitions (microsteps, snapshots), none empty. */
  readonly microsteps: Map<string, number[]>;
  /** The state after the last record. */
  readonly live: ReplayState;
  /** Add records (in seq order); ones already held are skipped. Returns how many were new. */
  add(records: readonly TraceRecord[]): number;
  /** The state after records[0..index] (index -1: before any). */
  stateAt(index: number): ReplayState;
  /** The last index whose seq is at most `seq` (-1 when none). */
  indexOfSeq(seq: number): number;
}

export const createTraceStore = (): TraceStore => {
  const records: TraceRecord[] = [];
  const machines = new Map<string, TraceRecordOf<"machine">>();
  const names = new Map<string, ActorName>();
  const actorById = new Map<string, string>();
  const supervisors = new Set<string>();
  const restarts = new Map<string, number>();
  const rows: number[] = [];
  const microsteps = new Map<string, number[]>();
  const taskParents: TaskParents = new Map();
  let divergedAt: number | null = null;
  const live = createReplayState();
  const kept: { index: number; state: ReplayState }[] = [];
  let cached: { index: number; state: ReplayState } | undefined;

  const remember = (view: Pick<ActorView, "actor" | "id" | "parent" | "machine" | "graph" | "systemId">) => {
    if (names.has(view.actor)) return;
    const label = view.id === view.actor ? (view.systemId ?? view.machine ?? view.id) : view.id;
    const parent = view.parent === null ? undefined : names.get(view.parent);
    const lineage =
      view.parent === null
        ? label
        : parent === undefined || parent.parent === null
          ? withoutIncarnation(view.id)
          : `${parent.lineage}/${withoutIncarnation(view.id)}`;
    names.set(view.actor, { ...view, graph: view.graph, label, lineage });
    actorById.set(view.id, view.actor);
  };

  const stateAt = (index: number): ReplayState => {
    if (index >= records.length - 1) return live;
    if (index < 0) return createReplayState();
    if (cached?.index === index) return cached.state;
    let from: { index: number; state: ReplayState } | undefined;
    for (let k = kept.length - 1; k >= 0; k -= 1) {
      if (kept[k]!.index <= index) {
        from = kept[k];
        break;
      }
    }
    if (cached && cached.index <= index && (!from || cached.index > from.index)) from = cached;
    const state = from ? cloneReplayState(from.state) : createReplayState();
    for (let k = from ? from.index + 1 : 0; k <= index; k += 1) applyRecord(state, records[k]!);
    cached = { index, state };
    return state;
  };

  return {
    records,
    machines,
    names,
    actorById,
    supervisors,
    restarts,
    rows,
    microsteps,
    get divergedAt() {
      return divergedAt;
    },
    markDivergence(seq) {
      divergedAt = seq;
    },
    taskParents,
    live,
    add(batch) {
      let added = 0;
      for (const record of batch) {
        if (record.kind === "machine") {
          machines.set(record.hash, record);
          continue;
        }
        if (records.length > 0 && record.seq <= records.at(-1)!.seq) continue;
        const index = records.push(record) - 1;
        added += 1;
        applyRecord(live, record);
        if (record.kind === "actor") remember({ ...record, graph: record.graph ?? null });
        if (record.kind === "checkpoint") {
          for (const actor of record.actors) remember(actor);
          for (const team of record.teams) supervisors.add(team.supervisor);
        }
        if (record.kind === "supervision") supervisors.add(record.supervisor);
        if (record.kind === "runtime" && record.event.type === "agent.restarted")
          restarts.set(`${record.event.agent}#${record.event.incarnation}`, index);
        if (
          (record.kind === "microstep" || record.kind === "snapshot") &&
          (record.transitions?.length ?? 0) > 0
        ) {
          const list = microsteps.get(record.actor) ?? [];
          microsteps.set(record.actor, list);
          list.push(index);
        }
        if (isTimelineRecord(record) || record.seq === divergedAt) rows.push(index);
        if (record.kind === "io") addTaskStarts([record], taskParents);
        if (index > 0 && index % CHECKPOINT_EVERY === 0) kept.push({ index, state: cloneReplayState(live) });
      }
      return added;
    },
    stateAt,
    indexOfSeq(seq) {
      let low = 0;
      let high = records.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (records[middle]!.seq <= seq) {
          found = middle;
          low = middle + 1;
        } else high = middle - 1;
      }
      return found;
    },
  };
};
