// What a replay compares: each actor's sequence of steps in one task tree, read the same way from
// the recording and from the replay's own Inspector. An actor is the supervisor, an agent (its name,
// whatever its incarnation) or an actor an agent started (`research/task`). Its steps are the team's
// own task events (not progress, nor what the host adds), and, while the agent works on a task of
// the tree, its machine's snapshots: state value, status and the event that caused it. A task's run
// ending reads the same whether the host learned it from an invoked actor (`xstate.done.actor.task`:
// machine agents, and plain agents in traces recorded before their handler ran without an actor) or
// from its own `troupe.task.done`.
import type { TraceRecord, TraceRecordOf } from "../TraceRecord.ts";
import type { Json } from "../toJsonSafe.ts";

export interface Step {
  readonly actor: string;
  readonly item: Json;
  /** The record's seq (kept for the recording, to point at it). */
  readonly seq: number;
}

const COMPARED = new Set([
  "task.queued",
  "task.routed",
  "task.started",
  "task.awaiting_human",
  "task.resumed",
  "task.approval",
  "task.emitted",
  "task.succeeded",
  "task.failed",
  "task.cancelled",
]);

const eventItem = (event: Record<string, unknown>, taskId: string): Json => ({
  type: String(event.type),
  taskId,
  ...(typeof event.rule === "string" ? { rule: event.rule } : {}),
  ...(typeof event.question === "string" ? { question: event.question } : {}),
  ...(typeof event.decision === "string" ? { decision: event.decision } : {}),
  ...(typeof event.error === "object" && event.error !== null
    ? { error: String((event.error as { tag?: unknown }).tag) }
    : {}),
  ...(typeof event.event === "object" && event.event !== null
    ? { event: String((event.event as { type?: unknown }).type) }
    : {}),
});

/** The end of a task's run, by the invoked actor's event: the host's own event of the same end. */
const RUN_ENDED: Readonly<Record<string, string>> = {
  "xstate.done.actor.task": "troupe.task.done",
  "xstate.error.actor.task": "troupe.task.error",
};

type ActorEntry = Pick<TraceRecordOf<"actor">, "actor" | "id" | "parent" | "root">;

/**
 * Each actor's name by session id, from its actor record or, for a trace file that starts mid-run
 * (a rotated one), from the checkpoint that lists the actors alive then.
 */
const actorNames = (records: readonly TraceRecord[]): Map<string, string> => {
  const entries = new Map<string, ActorEntry>();
  for (const record of records) {
    // The first entry of a session id wins: a trace read on into a later run's file may reuse it.
    if (record.kind === "actor") {
      if (!entries.has(record.actor)) entries.set(record.actor, record);
    } else if (record.kind === "checkpoint")
      for (const actor of record.actors) if (!entries.has(actor.actor)) entries.set(actor.actor, actor);
  }
  const names = new Map<string, string>();
  const nameOf = (entry: ActorEntry): string => {
    const known = names.get(entry.actor);
    if (known !== undefined) return known;
    const own = entry.id.split("#")[0]!;
    const parent = entry.parent === null ? undefined : entries.get(entry.parent);
    const name =
      entry.parent === null
        ? "supervisor"
        : entry.parent === entry.root
          ? own
          : `${parent && parent !== entry ? nameOf(parent) : "?"}/${own}`;
    names.set(entry.actor, name);
    return name;
  };
  for (const entry of entries.values()) nameOf(entry);
  return names;
};

/** Where a task belongs: the root of its tree and the id the recording knows it by. */
export interface TreeTask {
  readonly root: string;
  readonly id: string;
}

/**
 * The steps of every task tree in `records`, by root, in one pass: `treeOf` places a task in its
 * tree (undefined: in none), and a tree's steps begin at seq `fromOf(root)` (its replayed attempt);
 * `withStates` adds the agents' snapshots (a recording that watched only the bus has none to compare).
 * An agent's snapshots belong to the tree whose task it started last, from that tree's first seq on.
 */
export const treeSteps = (
  records: readonly TraceRecord[],
  treeOf: (taskId: string) => TreeTask | undefined,
  fromOf: (root: string) => number,
  withStates: boolean,
): Map<string, Step[]> => {
  const names = withStates ? actorNames(records) : new Map<string, string>();
  /** The tree each agent works for now, and the seq it started at. */
  const working = new Map<string, { readonly root: string | undefined; readonly seq: number }>();
  const steps = new Map<string, Step[]>();
  const push = (root: string, step: Step) => {
    const list = steps.get(root);
    if (list) list.push(step);
    else steps.set(root, [step]);
  };
  for (const record of records) {
    if (record.kind === "runtime") {
      const event = record.event as unknown as Record<string, unknown>;
      if (typeof event.taskId !== "string") continue;
      const agent = typeof event.agent === "string" ? event.agent : "supervisor";
      const task = treeOf(event.taskId);
      if (event.type === "task.started") working.set(agent, { root: task?.root, seq: record.seq });
      if (task === undefined || record.seq < fromOf(task.root) || !COMPARED.has(record.event.type)) continue;
      push(task.root, { actor: agent, item: eventItem(event, task.id), seq: record.seq });
    } else if (withStates && record.kind === "snapshot" && record.cause !== "xstate.stop") {
      const name = names.get(record.actor);
      if (name === undefined || name === "supervisor") continue;
      const work = working.get(name.split("/")[0]!);
      if (work?.root === undefined || work.seq < fromOf(work.root)) continue;
      push(work.root, {
        actor: name,
        item: {
          state: record.value ?? null,
          status: record.status,
          cause: RUN_ENDED[record.cause] ?? record.cause,
        },
        seq: record.seq,
      });
    }
  }
  return steps;
};
