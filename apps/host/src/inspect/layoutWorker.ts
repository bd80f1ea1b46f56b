// The layout worker (a node:worker_threads thread): runs elkjs on machine graphs sent by
// ChartLayouts, so laying out a large chart never blocks the host's event loop.
import { parentPort } from "node:worker_threads";
import type { MachineGraph } from "@troupe/runtime/inspect/graph";
import elkModule from "elkjs/lib/elk.bundled.js";
import { type ElkLike, layoutChart } from "./layoutChart.ts";

export interface LayoutRequest {
  readonly id: number;
  readonly hash: string;
  readonly graph: MachineGraph;
}

// elkjs is CommonJS: Node hands its module.exports over as the default import.
const Elk = ((elkModule as unknown as { default?: unknown }).default ?? elkModule) as new () => ElkLike;
const elk = new Elk();
parentPort?.on("message", (request: LayoutRequest) => {
  layoutChart(elk, request.graph, request.hash).then(
    (layout) => parentPort?.postMessage({ id: request.id, layout }),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
