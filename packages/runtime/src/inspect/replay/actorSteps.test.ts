// treeSteps reads every recorded task tree's steps in one pass over a host run. Checked against the
// rule as it reads for one tree at a time (the pass per task that replay used to make): on generated
// runs — tasks and subtasks of several trees interleaved on the same agents, events that are not
// compared, tasks of no tree, agents' snapshots and their children's, stops, each tree replayed from
// its own seq — every tree gets exactly the steps the one-tree reading gives it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TraceRecord } from "../TraceRecord.ts";
import type { Json } from "../toJsonSafe.ts";
import { type Step, treeSteps } from "./actorSteps.ts";

const AGENTS = ["writer", "lead"] as const;
/** Session ids: the supervisor, an actor per agent, and the writer's run of a task. */
const ACTORS = [
  { actor: "x:0", id: "supervisor", parent: null },
  { actor: "x:1", id: "writer#1", parent: "x:0" },
  { actor: "x:2", id: "lead#1", parent: "x:0" },
  { actor: "x:3", id: "task", parent: "x:1" },
] as const;
const NAME_OF: Readonly<Record<string, string>> = {
  "x:0": "supervisor",
  "x:1": "writer",
  "x:2": "lead",
  "x:3": "writer/task",
};
const TYPES = [
  "task.queued",
  "task.routed",
  "task.claimed",
  "task.started",
  "task.progress",
  "task.succeeded",
];
const CAUSES = ["troupe.task.assign", "troupe.task.done", "xstate.done.actor.task", "xstate.stop", "go"];
/** Roots r0–r2, a subtask of each, and a task of no tree. */
const TASKS = ["r0", "r1", "r2", "s0", "s1", "s2", "loose"];
const ROOT_OF: Readonly<Record<string, string>> = {
  r0: "r0",
  r1: "r1",
  r2: "r2",
  s0: "r0",
  s1: "r1",
  s2: "r2",
};

const COMPARED = new Set(TYPES.filter((type) => type !== "task.claimed" && type !== "task.progress"));
const RUN_ENDED: Readonly<Record<string, string>> = {
  "xstate.done.actor.task": "troupe.task.done",
  "xstate.error.actor.task": "troupe.task.error",
};

/** The steps of one tree as the rule reads for it alone, from seq `from` on. */
const oneTree = (
  records: readonly TraceRecord[],
  from: number,
  inTree: (taskId: string) => string | undefined,
  withStates: boolean,
): Step[] => {
  const working = new Map<string, boolean>();
  const steps: Step[] = [];
  for (const record of records) {
    if (record.seq < from) continue;
    if (record.kind === "runtime") {
      const event = record.event as unknown as { type: string; taskId: string; agent?: string };
      const agent = event.agent ?? "supervisor";
      const taskId = inTree(event.taskId);
      if (event.type === "task.started") working.set(agent, taskId !== undefined);
      if (taskId === undefined || !COMPARED.has(event.type)) continue;
      steps.push({ actor: agent, item: { type: event.type, taskId }, seq: record.seq });
    } else if (withStates && record.kind === "snapshot" && record.cause !== "xstate.stop") {
      const name = NAME_OF[record.actor]!;
      if (name === "supervisor" || !working.get(name.split("/")[0]!)) continue;
      const item: Json = {
        state: (record.value as Json | undefined) ?? null,
        status: record.status,
        cause: RUN_ENDED[record.cause] ?? record.cause,
      };
      steps.push({ actor: name, item, seq: record.seq });
    }
  }
  return steps;
};

type Drawn =
  | { readonly runtime: { type: string; task: string; agent: number | null } }
  | { readonly snapshot: { actor: number; cause: string; stopped: boolean; value: string } };

const drawn: fc.Arbitrary<Drawn> = fc.oneof(
  fc.record({
    runtime: fc.record({
      type: fc.constantFrom(...TYPES),
      task: fc.constantFrom(...TASKS),
      agent: fc.option(fc.integer({ min: 0, max: AGENTS.length - 1 })),
    }),
  }),
  fc.record({
    snapshot: fc.record({
      actor: fc.integer({ min: 0, max: ACTORS.length - 1 }),
      cause: fc.constantFrom(...CAUSES),
      stopped: fc.boolean(),
      value: fc.constantFrom("idle", "busy", "planning"),
    }),
  }),
);

/** A host run: its actors first, then the drawn records, seqs counted from 1. */
const runOf = (items: readonly Drawn[]): TraceRecord[] => {
  const head = ACTORS.map((actor) => ({
    kind: "actor",
    ...actor,
    root: "x:0",
    machine: "m",
    systemId: null,
  }));
  const body = items.map((item) =>
    "runtime" in item
      ? {
          kind: "runtime",
          event: {
            type: item.runtime.type,
            taskId: item.runtime.task,
            ...(item.runtime.agent === null ? {} : { agent: AGENTS[item.runtime.agent] }),
          },
        }
      : {
          kind: "snapshot",
          actor: ACTORS[item.snapshot.actor]!.actor,
          cause: item.snapshot.cause,
          status: item.snapshot.stopped ? "stopped" : "active",
          value: item.snapshot.value,
        },
  );
  return [...head, ...body].map(
    (record, index) => ({ v: 1, seq: index + 1, at: 0, ...record }) as TraceRecord,
  );
};

describe("treeSteps", () => {
  it("gives every tree of a run the steps the rule reads for that tree alone", () => {
    fc.assert(
      fc.property(
        fc.array(drawn, { maxLength: 60, size: "max" }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        (items, froms, withStates) => {
          const records = runOf(items);
          const fromOf = (root: string) => froms[Number(root.slice(1))]!;
          const together = treeSteps(
            records,
            (id) => (ROOT_OF[id] === undefined ? undefined : { root: ROOT_OF[id]!, id }),
            fromOf,
            withStates,
          );
          for (const root of ["r0", "r1", "r2"]) {
            const alone = oneTree(
              records,
              fromOf(root),
              (id) => (ROOT_OF[id] === root ? id : undefined),
              withStates,
            );
            expect(together.get(root) ?? []).toEqual(alone);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
