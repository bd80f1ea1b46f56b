// The shape of a state machine as the visualizer draws it: every state node (compound, parallel,
// final, history) with its entry/exit actions, invocations and transitions — `always`, `after`,
// done and error included, guards and actions by name. It is what `walkMachine` reads from a live
// machine and what a trace's `machine` record carries (its schema is in TraceRecord.ts), so it is
// plain JSON; no runtime imports, so the browser page can use the helpers too.

export type StateNodeType = "atomic" | "compound" | "parallel" | "final" | "history";

/**
 * How a transition is taken: by a named event, eventlessly (`always`), after a delay, when a
 * compound/parallel state or an invoked actor is done, when an invoked actor fails, or by any
 * event (`*`).
 */
export type TransitionKind = "event" | "always" | "after" | "done" | "error" | "wildcard";

export interface TransitionGraph {
  readonly kind: TransitionKind;
  /** The event type XState matches: "" for `always`, "xstate.after.500.m.a" for `after`, … */
  readonly eventType: string;
  /** What the drawing says: the event type, "always", "after 500ms", "done", "done: task", "error: task". */
  readonly label: string;
  /** Guard by name ("isCurrentTask", "and(a, not(b))"), or null. */
  readonly guard: string | null;
  /** Actions by name, in order ("takeTask", "xstate.assign" for an inline assign). */
  readonly actions: readonly string[];
  /** Target state node ids; empty for a transition that only runs actions. */
  readonly targets: readonly string[];
  readonly reenter: boolean;
}

export interface InvokeGraph {
  readonly id: string;
  /** The actor's name in `setup({ actors })`, or "inline". */
  readonly src: string;
}

export interface StateNodeGraph {
  /** XState's state node id ("agent.busy.working"), unique in the machine. */
  readonly id: string;
  /** Its key in its parent ("working"); the machine id for the root. */
  readonly key: string;
  readonly type: StateNodeType;
  /** For history states. */
  readonly history: "shallow" | "deep" | null;
  /** For compound states: the id of the initial child. */
  readonly initial: string | null;
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  readonly invoke: readonly InvokeGraph[];
  readonly tags: readonly string[];
  readonly description: string | null;
  readonly transitions: readonly TransitionGraph[];
  /** Child states in document order. */
  readonly states: readonly StateNodeGraph[];
}

export interface MachineGraph {
  /** The machine's id ("agent", "supervisor"). */
  readonly machine: string;
  readonly root: StateNodeGraph;
}

/** Every state node of a graph, parents before children. */
export const allStateNodes = (root: StateNodeGraph): StateNodeGraph[] => {
  const out: StateNodeGraph[] = [];
  const visit = (node: StateNodeGraph) => {
    out.push(node);
    for (const child of node.states) visit(child);
  };
  visit(root);
  return out;
};

/**
 * The ids of the state nodes a state value makes active (the root included), e.g.
 * `{ busy: "working" }` → ["agent", "agent.busy", "agent.busy.working"]. Keys the graph does not
 * know are skipped.
 */
export const activeStateIds = (root: StateNodeGraph, value: unknown): string[] => {
  const ids = [root.id];
  const visit = (node: StateNodeGraph, part: unknown) => {
    if (typeof part === "string") {
      const child = node.states.find((state) => state.key === part);
      if (child) ids.push(child.id);
      return;
    }
    if (typeof part !== "object" || part === null) return;
    for (const [key, sub] of Object.entries(part)) {
      const child = node.states.find((state) => state.key === key);
      if (!child) continue;
      ids.push(child.id);
      visit(child, sub);
    }
  };
  visit(root, value);
  return ids;
};
