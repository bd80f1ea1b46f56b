/// <reference lib="dom" />
// The page's copy of the run: every record in seq order, the machines, every actor ever seen (for
// names), the timeline's rows, and the replay state — live at the end, or at any earlier point
// from the nearest kept state (one every CHECKPOINT_EVERY records), so scrubbing stays fast at
// 100,000 records.
import {
  type ActorView,
  applyRecord,
  cloneReplayState,
  createReplayState,
  type ReplayState,
  type TraceRecord,
  type TraceRecordOf,
} from "@troupe/runtime/inspect/graph";

const CHECKPOINT_EVERY = 2_000;

/** What the page remembers of an actor after it is gone. */
export interface ActorName {
  readonly actor: string;
  readonly id: string;
  readonly parent: string | null;
  readonly machine: string | null;
  readonly graph: string | null;
}

export const isTimelineRecord = (record: TraceRecord): boolean =>
  record.kind === "event" || record.kind === "runtime" || record.kind === "llm" || record.kind === "approval";

export interface TraceStore {
  readonly records: TraceRecord[];
  readonly machines: Map<string, TraceRecordOf<"machine">>;
  readonly names: Map<string, ActorName>;
  /** Indices (into records) of the records the timeline lists. */
  readonly rows: number[];
  /** Indices of the records holding each actor's transitions: microsteps, snapshots with `transitions`. */
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
  const rows: number[] = [];
  const microsteps = new Map<string, number[]>();
  const live = createReplayState();
  const kept: { index: number; state: ReplayState }[] = [];
  let cached: { index: number; state: ReplayState } | undefined;

  const remember = (view: Pick<ActorView, "actor" | "id" | "parent" | "machine" | "graph">) => {
    if (!names.has(view.actor))
      names.set(view.actor, {
        actor: view.actor,
        id: view.id,
        parent: view.parent,
        machine: view.machine,
        graph: view.graph,
      });
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
    rows,
    microsteps,
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
        if (record.kind === "checkpoint") for (const actor of record.actors) remember(actor);
        if (record.kind === "microstep" || (record.kind === "snapshot" && record.transitions)) {
          const list = microsteps.get(record.actor) ?? [];
          microsteps.set(record.actor, list);
          list.push(index);
        }
        if (isTimelineRecord(record)) rows.push(index);
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
