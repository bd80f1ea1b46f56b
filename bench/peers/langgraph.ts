// LangGraph.js's side of the peer workloads, as its docs write them: a StateGraph compiled with a
// MemorySaver checkpointer, each task or run on its own thread_id. W2 fans out from START to five
// nodes whose edges join on one node; W3's three nodes are checkpointed after each super-step.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { BRANCH_MS, BRANCHES, type Workloads } from "./workloads.ts";

const State = Annotation.Root({ steps: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) });

const oneNode = (checkpointer: MemorySaver, node: () => Promise<{ steps: number }>) =>
  new StateGraph(State)
    .addNode("noop", node)
    .addEdge(START, "noop")
    .addEdge("noop", END)
    .compile({ checkpointer });

/** A config with a new thread_id, or the given one: each task or run is its own thread. */
const thread = (id: string = randomUUID()) => ({ configurable: { thread_id: id } });

export const langgraph: Workloads = {
  name: "LangGraph.js",
  note: "every invoke checkpoints each super-step (input, each node, end) in the MemorySaver, which keeps every thread's checkpoints",
  async noop() {
    const graph = oneNode(new MemorySaver(), async () => ({ steps: 1 }));
    return {
      run: async (count) => {
        for (let index = 0; index < count; index += 1) await graph.invoke({ steps: 0 }, thread());
      },
      stop: async () => undefined,
    };
  },
  async fanOut() {
    // The five branches written out, as a graph with fixed nodes is (BRANCHES is 5).
    const branch = async () => {
      await sleep(BRANCH_MS);
      return { steps: 1 };
    };
    const graph = new StateGraph(State)
      .addNode("b0", branch)
      .addNode("b1", branch)
      .addNode("b2", branch)
      .addNode("b3", branch)
      .addNode("b4", branch)
      .addNode("join", async () => ({ steps: 0 }))
      .addEdge(START, "b0")
      .addEdge(START, "b1")
      .addEdge(START, "b2")
      .addEdge(START, "b3")
      .addEdge(START, "b4")
      .addEdge(["b0", "b1", "b2", "b3", "b4"], "join")
      .addEdge("join", END)
      .compile({ checkpointer: new MemorySaver() });
    if (BRANCHES !== 5) throw new Error("the LangGraph fan-out is written for 5 branches");
    return {
      run: async () => {
        await graph.invoke({ steps: 0 }, thread());
      },
      stop: async () => undefined,
    };
  },
  onDisk: false, // its SQLite saver needs better-sqlite3 built from source here
  async steps() {
    const step = async () => ({ steps: 1 });
    const graph = new StateGraph(State)
      .addNode("first", step)
      .addNode("second", step)
      .addNode("third", step)
      .addEdge(START, "first")
      .addEdge("first", "second")
      .addEdge("second", "third")
      .addEdge("third", END)
      .compile({ checkpointer: new MemorySaver() });
    return {
      run: async (id) => {
        await graph.invoke({ steps: 0 }, thread(id));
      },
      stop: async () => undefined,
    };
  },
  async idle(count) {
    const checkpointer = new MemorySaver();
    return Array.from({ length: count }, () => oneNode(checkpointer, async () => ({ steps: 1 })));
  },
};
