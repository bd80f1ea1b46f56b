// Walks a live XState machine (`machine.root`) into a MachineGraph. Not `toJSON()`: that drops
// guards, actions and `always` transitions, which are what a person debugging a machine needs to
// see. Each graph gets a content hash, so a trace records a machine once however many actors run it.
import { createHash } from "node:crypto";
import type {
  InvokeGraph,
  MachineGraph,
  StateNodeGraph,
  TransitionGraph,
  TransitionKind,
} from "./MachineGraph.ts";

/** The parts of XState's StateNode the walker reads (internal, so typed here loosely). */
interface LiveStateNode {
  readonly id: string;
  readonly key: string;
  readonly type: StateNodeGraph["type"];
  readonly history: false | "shallow" | "deep";
  readonly initial?: { readonly target?: readonly LiveStateNode[] } | undefined;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly invoke: readonly { readonly id: string; readonly src: unknown }[];
  readonly tags: readonly string[];
  readonly description?: string | undefined;
  readonly states: Readonly<Record<string, LiveStateNode>>;
  readonly transitions: ReadonlyMap<string, readonly LiveTransition[]>;
  readonly always?: readonly LiveTransition[] | undefined;
  readonly after: readonly (LiveTransition & { readonly delay: number | string })[];
}

interface LiveTransition {
  readonly eventType: string | null;
  readonly guard?: unknown;
  readonly actions: readonly unknown[];
  readonly target?: readonly LiveStateNode[] | undefined;
  readonly reenter?: boolean;
}

/** Anything with a `root` state node and an `id`: a machine made by `createMachine` or `setup`. */
export interface WalkableMachine {
  readonly id: string;
  readonly root: unknown;
}

/** An action's name: its name in `setup({ actions })`, a built-in's type, or a function's name. */
export const actionName = (action: unknown): string => {
  if (typeof action === "string") return action;
  if (typeof action === "function") {
    const { type, name } = action as { type?: unknown; name?: string };
    if (typeof type === "string") return type;
    return name ? name : "anonymous";
  }
  if (typeof action === "object" && action !== null) {
    const { type } = action as { type?: unknown };
    if (typeof type === "string") return type;
    if (typeof type === "function") return actionName(type);
  }
  return "anonymous";
};

/** A guard's name; higher-order guards show their parts: `and(isReady, not(isBusy))`. */
export const guardName = (guard: unknown): string | null => {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === "string") return guard;
  if (typeof guard === "function") {
    const { guards, name } = guard as { guards?: unknown; name?: string };
    const base = name ? name : "anonymous";
    if (Array.isArray(guards)) return `${base}(${guards.map((part) => guardName(part) ?? "?").join(", ")})`;
    return base;
  }
  if (typeof guard === "object") {
    const { type } = guard as { type?: unknown };
    if (typeof type === "string") return type;
    if (type !== undefined) return guardName(type);
  }
  return "anonymous";
};

/** XState's own scheduling of `after` timers (entry raise, exit cancel) is drawn as the edge instead. */
const isAfterBookkeeping = (action: unknown): boolean => {
  if (typeof action !== "function") return false;
  const { type, event, sendId } = action as { type?: unknown; event?: { type?: unknown }; sendId?: unknown };
  if (type === "xstate.raise")
    return typeof event?.type === "string" && event.type.startsWith("xstate.after.");
  if (type === "xstate.cancel") return typeof sendId === "string" && sendId.startsWith("xstate.after.");
  return false;
};

const actionNames = (actions: readonly unknown[]): string[] =>
  actions.filter((action) => !isAfterBookkeeping(action)).map(actionName);

const srcName = (src: unknown): string => {
  if (typeof src === "string") return src;
  const id = (src as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : "inline";
};

/** An invoke's name in a label: its id, or its source's name when xstate made the id up (`0.review.drafting`). */
const invokeName = (id: string, invokes: ReadonlyMap<string, string>): string =>
  /^\d+\./.test(id) ? (invokes.get(id) ?? id) : id;

const classify = (
  eventType: string,
  delays: ReadonlyMap<string, number | string>,
  invokes: ReadonlyMap<string, string>,
): { kind: TransitionKind; label: string } => {
  if (eventType === "") return { kind: "always", label: "always" };
  if (eventType === "*") return { kind: "wildcard", label: "*" };
  const delay = delays.get(eventType);
  if (delay !== undefined)
    return { kind: "after", label: typeof delay === "number" ? `after ${delay}ms` : `after ${delay}` };
  if (eventType.startsWith("xstate.done.state.")) return { kind: "done", label: "done" };
  // A plain agent's host hears its handler settle by events of its own: drawn as the end of its
  // task's run, like a machine agent's host hears its invoked `task`.
  if (eventType === "troupe.task.done") return { kind: "done", label: "done: task" };
  if (eventType === "troupe.task.error") return { kind: "error", label: "error: task" };
  if (eventType.startsWith("xstate.done.actor."))
    return {
      kind: "done",
      label: `done: ${invokeName(eventType.slice("xstate.done.actor.".length), invokes)}`,
    };
  if (eventType.startsWith("xstate.error.actor."))
    return {
      kind: "error",
      label: `error: ${invokeName(eventType.slice("xstate.error.actor.".length), invokes)}`,
    };
  return { kind: "event", label: eventType };
};

const transitionOf = (
  transition: LiveTransition,
  eventType: string,
  delays: ReadonlyMap<string, number | string>,
  invokes: ReadonlyMap<string, string>,
): TransitionGraph => ({
  ...classify(eventType, delays, invokes),
  eventType,
  guard: guardName(transition.guard),
  actions: actionNames(transition.actions),
  targets: (transition.target ?? []).map((target) => target.id),
  reenter: transition.reenter === true,
});

const walkNode = (node: LiveStateNode): StateNodeGraph => {
  const delays = new Map<string, number | string>();
  for (const delayed of node.after) if (delayed.eventType) delays.set(delayed.eventType, delayed.delay);
  const invoke: InvokeGraph[] = node.invoke.map((definition) => ({
    id: definition.id,
    src: srcName(definition.src),
  }));
  const invokes = new Map(invoke.map((definition) => [definition.id, definition.src]));
  const transitions: TransitionGraph[] = [];
  for (const transition of node.always ?? []) transitions.push(transitionOf(transition, "", delays, invokes));
  for (const [eventType, list] of node.transitions) {
    for (const transition of list) transitions.push(transitionOf(transition, eventType, delays, invokes));
  }
  const initial = node.type === "compound" ? (node.initial?.target?.[0]?.id ?? null) : null;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    history: node.type === "history" ? (node.history === "deep" ? "deep" : "shallow") : null,
    initial,
    entry: actionNames(node.entry),
    exit: actionNames(node.exit),
    invoke,
    tags: [...node.tags],
    description: node.description ?? null,
    transitions,
    states: Object.values(node.states).map(walkNode),
  };
};

/** The graph of a live machine: every state node and transition, guards and actions by name. */
export const walkMachine = (machine: WalkableMachine): MachineGraph => ({
  machine: machine.id,
  root: walkNode(machine.root as LiveStateNode),
});

/** A short content hash of a graph: equal graphs (a machine and its `.provide()` copies) share it. */
export const machineGraphHash = (graph: MachineGraph): string =>
  createHash("sha256").update(JSON.stringify(graph)).digest("hex").slice(0, 16);
