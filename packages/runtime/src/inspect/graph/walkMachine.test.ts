// The graph walker: every state kind and every transition kind of a live machine, guards and
// actions by name, and one hash for a machine and its `.provide()` copy.
import { describe, expect, it } from "vitest";
import { type AnyStateMachine, and, assign, fromPromise, not, setup } from "xstate";
import { agentHostMachine, machineAgentHost } from "../../agent/agentHostMachine.ts";
import { activeStateIds, allStateNodes } from "./MachineGraph.ts";
import { machineGraphHash, walkMachine } from "./walkMachine.ts";

const machine = setup({
  guards: { ready: () => true, busy: () => false },
  actions: { log: () => {}, save: () => {} },
  actors: { fetcher: fromPromise(async () => "fetched") },
  delays: { slow: 1_000 },
}).createMachine({
  id: "demo",
  initial: "idle",
  states: {
    idle: {
      entry: "log",
      always: { guard: "ready", target: "loading" },
      after: { 500: "loading", slow: { target: "done", actions: "save" } },
      on: {
        "*": { actions: "log" },
        GO: { guard: and(["ready", not("busy")]), target: "loading", actions: ["save", assign({})] },
      },
    },
    loading: {
      type: "parallel",
      invoke: { id: "fetch", src: "fetcher", onDone: "done", onError: { target: "idle", reenter: true } },
      onDone: "done",
      states: {
        left: { initial: "a", states: { a: {}, back: { type: "history", history: "deep" } } },
        right: { initial: "b", states: { b: { type: "final" } } },
      },
    },
    done: { type: "final", exit: "log" },
  },
});

describe("walkMachine", () => {
  const graph = walkMachine(machine);
  const byId = new Map(allStateNodes(graph.root).map((node) => [node.id, node]));

  it("reads every state kind: compound, parallel, final, history, atomic", () => {
    expect(graph.machine).toBe("demo");
    expect(graph.root).toMatchObject({ id: "demo", type: "compound", initial: "demo.idle" });
    expect(byId.get("demo.loading")).toMatchObject({ type: "parallel", initial: null });
    expect(byId.get("demo.loading.left")).toMatchObject({ type: "compound", initial: "demo.loading.left.a" });
    expect(byId.get("demo.loading.left.back")).toMatchObject({ type: "history", history: "deep" });
    expect(byId.get("demo.loading.right.b")).toMatchObject({ type: "final" });
    expect(byId.get("demo.done")).toMatchObject({ type: "final", exit: ["log"] });
    expect(byId.get("demo.loading.left.a")).toMatchObject({ type: "atomic" });
    expect(byId.get("demo.loading")!.invoke).toEqual([{ id: "fetch", src: "fetcher" }]);
  });

  it("reads every transition kind with guards and actions by name, and hides XState's after timers", () => {
    const idle = byId.get("demo.idle")!;
    expect(idle.entry).toEqual(["log"]);
    const kinds = idle.transitions.map((transition) => [
      transition.kind,
      transition.label,
      transition.guard,
      transition.actions,
      transition.targets,
    ]);
    expect(kinds).toEqual([
      ["always", "always", "ready", [], ["demo.loading"]],
      ["wildcard", "*", null, ["log"], []],
      ["event", "GO", "and(ready, not(busy))", ["save", "xstate.assign"], ["demo.loading"]],
      ["after", "after 500ms", null, [], ["demo.loading"]],
      ["after", "after slow", null, ["save"], ["demo.done"]],
    ]);
    const loading = byId.get("demo.loading")!;
    expect(
      loading.transitions.map((transition) => [
        transition.kind,
        transition.label,
        transition.targets,
        transition.reenter,
      ]),
    ).toEqual([
      ["done", "done", ["demo.done"], false],
      ["done", "done: fetch", ["demo.done"], false],
      ["error", "error: fetch", ["demo.idle"], true],
    ]);
  });

  it("names an invoke without an id by its source in done and error labels", () => {
    const review = setup({ actors: { drafter: fromPromise(async () => "draft") } }).createMachine({
      id: "review",
      initial: "drafting",
      states: {
        drafting: { invoke: { src: "drafter", onDone: "done", onError: "drafting" } },
        done: { type: "final" },
      },
    });
    const drafting = walkMachine(review).root.states.find((state) => state.key === "drafting")!;
    expect(drafting.transitions.map((transition) => transition.label)).toEqual([
      "done: drafter",
      "error: drafter",
    ]);
  });

  it("draws the end of an agent host's task as done and error edges, whether its run is invoked or not", () => {
    const ends = (host: AnyStateMachine) =>
      walkMachine(host)
        .root.states.find((state) => state.key === "busy")!
        .transitions.filter((transition) => transition.kind === "done" || transition.kind === "error")
        .map(({ kind, label, targets }) => ({ kind, label, targets }));
    const expected = [
      { kind: "done", label: "done: task", targets: ["agent.idle"] },
      { kind: "error", label: "error: task", targets: ["agent.idle"] },
    ];
    expect(ends(agentHostMachine)).toEqual(expected);
    expect(ends(machineAgentHost(machine))).toEqual(expected);
  });

  it("gives a machine and its .provide() copy one hash, and different machines different ones", () => {
    const provided = agentHostMachine.provide({ actions: { takeTask: () => {} } as never });
    expect(machineGraphHash(walkMachine(provided))).toBe(machineGraphHash(walkMachine(agentHostMachine)));
    expect(machineGraphHash(graph)).not.toBe(machineGraphHash(walkMachine(agentHostMachine)));
    expect(machineGraphHash(graph)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("maps a state value to the active state ids", () => {
    expect(activeStateIds(graph.root, { loading: { left: "a", right: "b" } })).toEqual([
      "demo",
      "demo.loading",
      "demo.loading.left",
      "demo.loading.left.a",
      "demo.loading.right",
      "demo.loading.right.b",
    ]);
    expect(activeStateIds(graph.root, "idle")).toEqual(["demo", "demo.idle"]);
  });
});
