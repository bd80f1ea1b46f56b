// Chart layouts, computed off the main thread (one worker thread running elkjs) and cached per
// machine hash: a machine is laid out once however many actors run it and however often a page
// asks. The worker starts on the first request and never keeps the process alive.
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { MachineGraph } from "@troupe/runtime/inspect/graph";
import type { ChartLayout } from "./ChartLayout.ts";

export interface ChartLayouts {
  /** The layout of `graph`, cached under `hash`. */
  layout(hash: string, graph: MachineGraph): Promise<ChartLayout>;
  /** Stop the worker; layouts still pending reject. */
  close(): Promise<void>;
}

// The worker's file has this module's extension: .ts run from the sources, .js once built.
const WORKER_FILE = new URL(`./layoutWorker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

type Reply = { id: number; layout: ChartLayout } | { id: number; error: string };

export const createChartLayouts = (): ChartLayouts => {
  const cache = new Map<string, Promise<ChartLayout>>();
  const pending = new Map<
    number,
    { resolve: (layout: ChartLayout) => void; reject: (error: Error) => void }
  >();
  let worker: Worker | undefined;
  let nextId = 0;
  let closed = false;

  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  const workerNow = (): Worker => {
    if (worker) return worker;
    // No execArgv: the worker needs no loader flags, and a test runner's must not leak into it.
    const started = new Worker(WORKER_FILE, { execArgv: [] });
    started.unref();
    started.on("message", (reply: Reply) => {
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if ("layout" in reply) waiter.resolve(reply.layout);
      else waiter.reject(new Error(`chart layout failed: ${reply.error}`));
    });
    started.on("error", (error) => {
      failAll(error);
      worker = undefined;
    });
    started.on("exit", () => {
      if (worker === started) worker = undefined;
      failAll(new Error("the chart layout worker stopped"));
    });
    worker = started;
    return started;
  };

  return {
    layout(hash, graph) {
      const known = cache.get(hash);
      if (known) return known;
      if (closed) return Promise.reject(new Error("chart layouts are closed"));
      nextId += 1;
      const id = nextId;
      const promise = new Promise<ChartLayout>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workerNow().postMessage({ id, hash, graph });
      });
      cache.set(hash, promise);
      // A failed layout is not cached: the next request tries again.
      promise.catch(() => cache.delete(hash));
      return promise;
    },
    async close() {
      closed = true;
      const running = worker;
      worker = undefined;
      if (running) await running.terminate();
      failAll(new Error("chart layouts are closed"));
    },
  };
};
