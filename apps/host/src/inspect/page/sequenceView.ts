/// <reference lib="dom" />
// The sequence view: the messages of one task between the supervisor, the agents that worked on it
// and their children, in order, one lifeline per actor. A message is an event record that names
// the task, or one sent within the task's span between those actors (a child that is not recorded
// as an actor is named by its invoke id); the task's runtime events are notes on the lifeline of
// the agent (or supervisor) they are about. Clicking one goes to that point of the run.

import { taskOf } from "../../replay/recordedTasks.ts";
import type { TraceStore } from "./TraceStore.ts";
import { withoutIncarnation } from "./TraceStore.ts";
import { sourceOf } from "./timelineView.ts";

/** At most this many records are looked at from the task's first one. */
const SPAN_LIMIT = 5_000;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

interface Message {
  readonly index: number;
  readonly seq: number;
  readonly text: string;
  /** Lifelines: actor session ids, `null` for outside, `child:<id>` for an unrecorded child. */
  readonly from: string | null;
  readonly to: string | null;
  readonly note: boolean;
}

/** The messages of `task`, in order, and the actors they pass between. */
export const taskMessages = (
  store: TraceStore,
  task: string,
): { actors: (string | null)[]; messages: Message[] } => {
  const { records } = store;
  const first = records.findIndex((record) => taskOf(record) === task);
  if (first < 0) return { actors: [], messages: [] };
  let last = first;
  const agents = new Set<string>(); // the actors (not supervisors) the task's own events name
  for (let k = first; k < Math.min(records.length, first + SPAN_LIMIT); k += 1) {
    const record = records[k]!;
    if (taskOf(record) !== task) continue;
    last = k;
    if (record.kind !== "event") continue;
    for (const actor of [record.target, sourceOf(record, store)])
      if (actor !== null && !store.supervisors.has(actor)) agents.add(actor);
  }
  /** The task's agent an actor is, or works under. */
  const underAgent = (actor: string | null): boolean => {
    for (let at = actor; at !== null; at = store.names.get(at)?.parent ?? null)
      if (agents.has(at)) return true;
    return false;
  };
  const messages: Message[] = [];
  const actors: (string | null)[] = []; // null: from outside any actor
  const seen = (actor: string | null) => {
    if (!actors.includes(actor)) actors.push(actor);
  };
  const supervisor = [...store.supervisors][0] ?? null;
  /** The lifeline of a runtime event's agent: its incarnation that took part, else the supervisor. */
  const agentLine = (agent: unknown): string | null => {
    for (const actor of agents)
      if (withoutIncarnation(store.names.get(actor)?.id ?? "") === agent) return actor;
    return supervisor;
  };
  for (let k = first; k <= last; k += 1) {
    const record = records[k]!;
    if (record.kind === "runtime" && taskOf(record) === task) {
      const line = agentLine("agent" in record.event ? record.event.agent : undefined);
      seen(line);
      messages.push({ index: k, seq: record.seq, text: record.event.type, from: line, to: line, note: true });
      continue;
    }
    if (record.kind !== "event") continue;
    let from = sourceOf(record, store);
    // A child the inspector did not record (a promise a machine agent invoked) speaks by its invoke id.
    const child = (record.event as { actorId?: unknown } | null)?.actorId;
    if (from !== null && !store.names.has(from) && typeof child === "string") from = `child:${child}`;
    const inside = (actor: string | null) => underAgent(actor) || (actor?.startsWith("child:") ?? false);
    const ours =
      taskOf(record) === task ||
      ((inside(from) || inside(record.target)) &&
        (inside(from) || (from !== null && store.supervisors.has(from))) &&
        (inside(record.target) || store.supervisors.has(record.target)));
    if (!ours) continue;
    seen(from);
    seen(record.target);
    messages.push({ index: k, seq: record.seq, text: record.type, from, to: record.target, note: false });
  }
  // Outside and supervisors first, then the actors in the order they first took part.
  const rank = (actor: string | null) => (actor === null ? 2 : store.supervisors.has(actor) ? 1 : 0);
  actors.sort((a, b) => rank(b) - rank(a));
  return { actors, messages };
};

/** The view's HTML for `task` ("": none chosen yet), the point shown being `index`. */
export const sequenceHtml = (store: TraceStore, index: number, shown: string): string => {
  if (shown === "")
    return '<div class="empty">Go to a record of a task (or filter by task) to see its messages.</div>';
  const { actors, messages } = taskMessages(store, shown);
  if (messages.length === 0) return `<div class="empty">No messages of task ${escapeHtml(shown)}.</div>`;
  const column = (actor: string | null) => actors.indexOf(actor);
  const label = (actor: string | null) =>
    actor === null
      ? "outside"
      : actor.startsWith("child:")
        ? actor.slice(6)
        : (store.names.get(actor)?.label ?? actor);
  const heads = actors.map(
    (actor) => `<div class="seq-head" title="${escapeHtml(actor ?? "")}">${escapeHtml(label(actor))}</div>`,
  );
  const rows = messages.map(({ index: at, seq, text, from, to, note }) => {
    const a = column(from);
    const b = column(to);
    const current = at <= index && (messages.find((next) => next.index > at)?.index ?? Infinity) > index;
    const classes = `seq-msg${note ? " note" : a > b ? " leftward" : a === b ? " self" : ""}${current ? " current" : ""}${at > index ? " future" : ""}`;
    const title = note ? label(from) : `${label(from)} → ${label(to)}`;
    return `<div class="${classes}" data-index="${at}" data-seq="${seq}" title="${escapeHtml(title)}" style="grid-column:${Math.min(a, b) + 1} / ${Math.max(a, b) + 2};--span:${Math.abs(a - b) + 1}"><span class="seq-label">#${seq} ${escapeHtml(text)}</span></div>`;
  });
  return `<div class="seq-task">task ${escapeHtml(shown)}</div><div class="seq-grid" style="grid-template-columns:repeat(${actors.length}, minmax(72px, 1fr));background-size:calc(100% / ${actors.length}) 100%">${heads.join("")}${rows.join("")}</div>`;
};
