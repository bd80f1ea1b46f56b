/// <reference lib="dom" />
// The event timeline: one row per event, runtime event, model call and approval (and the record a
// replay diverged at, marked, whatever its kind), filtered by agent (all its incarnations) or actor,
// task and type (xstate.* hidden unless asked); the ◀ ▶ steps and the arrow keys go from visible row
// to visible row. Drawn virtually (only the rows in view exist), so 100,000 records scroll as
// smoothly as ten.
import type { TraceRecord, TraceRecordOf } from "@troupe/runtime/inspect/graph";
import { taskOrIoTaskOf } from "../../replay/recordedTasks.ts";
import type { TraceStore } from "./TraceStore.ts";

export const ROW_HEIGHT = 22;

export interface TimelineFilter {
  actor: string;
  task: string;
  type: string;
  hideXstate: boolean;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

const typeOf = (record: TraceRecord): string => {
  switch (record.kind) {
    case "runtime":
      return record.event.type;
    case "event":
      return record.type;
    case "llm":
      return "llm.call";
    case "approval":
      return `approval.${record.decision}`;
    case "io":
      return `io.${record.port}`;
    default:
      return record.kind;
  }
};

const lineageOf = (store: TraceStore, actor: string | null): string[] => {
  const name = actor === null ? undefined : store.names.get(actor);
  return name ? [name.lineage] : [];
};

/** The agents and actors a record is about, by lineage (for the Actor filter). */
const lineagesOf = (record: TraceRecord, store: TraceStore): string[] => {
  if (record.kind === "event")
    return [...lineageOf(store, record.target), ...lineageOf(store, sourceOf(record, store))];
  if (record.kind === "llm") return lineageOf(store, record.actor);
  if (record.kind === "io") return record.agent !== null ? [record.agent] : [];
  if (record.kind === "runtime" && "agent" in record.event && typeof record.event.agent === "string")
    return [record.event.agent];
  return [];
};

/** Events an agent host sends itself: its plain handler's settlement, a person asked and answered. */
const HOSTS_OWN = new Set([
  "troupe.task.done",
  "troupe.task.error",
  "troupe.human.asked",
  "troupe.human.answered",
]);

/**
 * Who sent an event: its source; for one an agent host sends itself, the host; for any other sent
 * from outside any actor to an agent, the agent's supervisor, which is where the runtime sends
 * tasks and cancellations from.
 */
export const sourceOf = (record: TraceRecordOf<"event">, store: TraceStore): string | null => {
  if (record.source !== null) return record.source;
  if (HOSTS_OWN.has(record.type)) return record.target;
  const parent = store.names.get(record.target)?.parent;
  return parent && store.supervisors.has(parent) ? parent : null;
};

const inLineage = (lineage: string, filter: string) => lineage === filter || lineage.startsWith(`${filter}/`);

export const matches = (record: TraceRecord, filter: TimelineFilter, store: TraceStore): boolean => {
  const type = typeOf(record);
  if (filter.hideXstate && type.startsWith("xstate.")) return false;
  if (filter.type !== "" && !type.includes(filter.type)) return false;
  if (filter.task !== "" && !(taskOrIoTaskOf(record) ?? "").includes(filter.task)) return false;
  if (filter.actor !== "" && !lineagesOf(record, store).some((lineage) => inLineage(lineage, filter.actor)))
    return false;
  return true;
};

const nameOf = (store: TraceStore, actor: string | null) =>
  actor === null ? "outside" : (store.names.get(actor)?.label ?? actor);

const summaryOf = (record: TraceRecord, store: TraceStore): string => {
  switch (record.kind) {
    case "event":
      return `${nameOf(store, sourceOf(record, store))} → ${nameOf(store, record.target)}`;
    case "runtime": {
      const { type: _type, at: _at, ...fields } = record.event as Record<string, unknown>;
      return Object.entries(fields)
        .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
        .join("  ");
    }
    case "llm":
      return `${record.model} · ${record.promptTokens ?? "?"}+${record.completionTokens ?? "?"} tokens · ${Math.round(record.latencyMs)} ms · ${record.outcome}${record.agent ? ` · ${record.agent}` : ""}`;
    case "approval":
      return `${record.decision} by ${record.by ?? "unknown"} · ${record.question}`;
    case "io":
      return `${record.agent ?? "supervisor"} · task ${record.taskId} · ${record.port} call ${record.call}`;
    default:
      return "";
  }
};

const time = (at: number) => {
  const date = new Date(at);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
};

export interface TimelineView {
  /** Recompute the visible rows after the filter changed or records arrived. */
  refilter(filter: TimelineFilter): void;
  /** Rows added at the end since the last call (cheap path for live records). */
  append(filter: TimelineFilter): void;
  /** Draw the rows in view; `position` is the store index shown now. */
  draw(position: number): void;
  /** Scroll so the row at or before `position` is in view. */
  reveal(position: number): void;
  /** The record (store index) of the visible row at or before `position`; -1 when none. */
  recordAt(position: number): number;
  /** The record of the next (1) or previous (-1) visible row from `position`; -1 when none. */
  neighbour(position: number, direction: 1 | -1): number;
  readonly count: number;
}

export const createTimelineView = (
  scroller: HTMLElement,
  content: HTMLElement,
  store: TraceStore,
  onPick: (index: number) => void,
): TimelineView => {
  let visible: number[] = [];
  let scanned = 0;
  let lastPosition = -1;

  content.addEventListener("click", (event) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>(".tl-row");
    if (row) onPick(Number(row.dataset.index));
  });

  /** The row of the last visible record at or before `position` (-1 when none). */
  const rowAt = (position: number): number => {
    let found = -1;
    let low = 0;
    let high = visible.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (visible[middle]! <= position) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };

  const draw = (position: number) => {
    lastPosition = position;
    content.style.height = `${visible.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(visible.length, first + Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 10);
    const current = rowAt(position);
    const html: string[] = [];
    for (let row = first; row < last; row += 1) {
      const index = visible[row]!;
      const record = store.records[index]!;
      const diverged = record.seq === store.divergedAt;
      const classes = `tl-row${row === current ? " current" : ""}${index > position ? " future" : ""}${diverged ? " diverged" : ""}`;
      html.push(
        `<div class="${classes}" data-index="${index}" data-seq="${record.seq}" style="top:${row * ROW_HEIGHT}px"${diverged ? ' title="The replay diverged here"' : ""}><span class="seq">#${record.seq}</span><span class="time">${time(record.at)}</span><span class="k-${record.kind}">${record.kind}</span><span class="type">${escapeHtml(typeOf(record))}</span><span class="summary">${escapeHtml(summaryOf(record, store))}</span></div>`,
      );
    }
    content.innerHTML = html.join("");
  };

  scroller.addEventListener("scroll", () => requestAnimationFrame(() => draw(lastPosition)));

  return {
    refilter(filter) {
      visible = store.rows.filter((index) => matches(store.records[index]!, filter, store));
      scanned = store.rows.length;
    },
    append(filter) {
      for (; scanned < store.rows.length; scanned += 1) {
        const index = store.rows[scanned]!;
        if (matches(store.records[index]!, filter, store)) visible.push(index);
      }
    },
    draw,
    reveal(position) {
      const row = Math.max(0, rowAt(position));
      content.style.height = `${visible.length * ROW_HEIGHT}px`;
      const top = row * ROW_HEIGHT;
      if (top < scroller.scrollTop || top > scroller.scrollTop + scroller.clientHeight - ROW_HEIGHT * 2) {
        scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 2);
      }
    },
    recordAt(position) {
      const row = rowAt(position);
      return row < 0 ? -1 : visible[row]!;
    },
    neighbour(position, direction) {
      const row = rowAt(position);
      // At a record between rows, the previous row is the one at or before it.
      const next = direction > 0 ? row + 1 : visible[row] === position ? row - 1 : row;
      return visible[next] ?? -1;
    },
    get count() {
      return visible.length;
    },
  };
};
