// queue-scaling: the queue-throughput loop (enqueue → lease → no-op → finish) run by two worker
// processes at once, divided by the same loop in one process, on the same total of tasks. Each
// process enqueues its share and consumes from the shared queue; the clock runs from "go" until
// Redis has recorded every task as finished. Both processes, Redis and this driver share the
// machine's cores, so the figure says how much a second host adds before Redis becomes the limit.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { type Figure, figure, median, progress } from "./measure.ts";
import { REDIS_URL } from "./queue-throughput.ts";

const TASKS_PER_ROUND = 30_000;
const ROUNDS = 3;
const POLL_MS = 2;

interface WorkerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  next(type: string): Promise<Record<string, unknown>>;
  send(command: object): void;
}

const startWorker = (): WorkerProcess => {
  const script = fileURLToPath(new URL("./queue-scaling-worker.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=troupe-source", script]);
  child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    send: (command) => child.stdin.write(`${JSON.stringify(command)}\n`),
    async next(type) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the scaling worker ${child.pid} exited`);
      const line = JSON.parse(value as string) as Record<string, unknown>;
      if (line.type !== type) throw new Error(`the scaling worker said ${value}, expected ${type}`);
      return line;
    },
  };
};

/** Tasks a second with `workers` processes sharing TASKS_PER_ROUND tasks. */
const round = async (admin: Redis, workers: readonly WorkerProcess[]) => {
  const namespace = `bench-scaling-${randomUUID()}`;
  const share = TASKS_PER_ROUND / workers.length;
  for (const [index, worker] of workers.entries())
    worker.send({ type: "prepare", namespace, start: index * share, count: share });
  await Promise.all(workers.map((worker) => worker.next("prepared")));
  const ended = `troupe:${namespace}:ended`;
  const startedAt = performance.now();
  for (const worker of workers) worker.send({ type: "go" });
  while ((await admin.zcard(ended)) < TASKS_PER_ROUND)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const seconds = (performance.now() - startedAt) / 1_000;
  for (const worker of workers) worker.send({ type: "stop" });
  await Promise.all(workers.map((worker) => worker.next("stopped")));
  await deleteNamespace(admin, namespace);
  return TASKS_PER_ROUND / seconds;
};

export const queueScaling = async (): Promise<Figure> => {
  const admin = new Redis(REDIS_URL);
  const workers = [startWorker(), startWorker()];
  try {
    await round(admin, workers.slice(0, 1)); // warm-up: module loading, connections, the JIT
    await round(admin, workers);
    const ratios: number[] = [];
    for (let index = 1; index <= ROUNDS; index += 1) {
      const one = await round(admin, workers.slice(0, 1));
      const two = await round(admin, workers);
      ratios.push(two / one);
      progress(
        `queue-scaling round ${index}/${ROUNDS}: one process ${Math.round(one)}/s, two ${Math.round(two)}/s`,
      );
    }
    return figure("queue-scaling", median(ratios), { atLeast: 1.6 });
  } finally {
    for (const worker of workers) {
      worker.send({ type: "exit" });
      worker.child.stdin.end();
    }
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.child.once("exit", resolve))));
    await admin.quit();
  }
};
