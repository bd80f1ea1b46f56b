// The worker process of the queue-scaling benchmark: it runs the queue-throughput loop (enqueue its
// share of tasks, lease → no-op → finish until told to stop) on the namespace it is given, driven
// by JSON lines on stdin so one process serves every round:
//   {"type":"prepare","namespace":…,"start":…,"count":…} → {"type":"prepared"}
//   {"type":"go"}                                          (runs until "stop")
//   {"type":"stop"} → {"type":"stopped","processed":…}
//   {"type":"exit"}
import { createInterface } from "node:readline";
import { createRedisWorkQueue, type RedisWorkQueue } from "@troupe/runtime/redis";

const REDIS_URL = "redis://127.0.0.1:6379";
const BATCH = 50;
const WAIT_MS = 20;

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

let producer: RedisWorkQueue | undefined;
let consumer: RedisWorkQueue | undefined;
let share = { start: 0, count: 0 };
let stopping = new AbortController();
let running: Promise<number> | undefined;

const produce = async (queue: RedisWorkQueue) => {
  const end = share.start + share.count;
  for (let start = share.start; start < end; start += BATCH) {
    const chunk: Promise<void>[] = [];
    for (let index = start; index < Math.min(end, start + BATCH); index += 1)
      chunk.push(queue.enqueue({ id: `t-${index}`, input: { text: `task ${index}`, agent: "noop" } }));
    await Promise.all(chunk);
  }
};

const consume = async (queue: RedisWorkQueue) => {
  let processed = 0;
  const name = `c-${process.pid}`;
  while (!stopping.signal.aborted) {
    const leases = await queue.lease(name, { max: BATCH, waitMs: WAIT_MS, signal: stopping.signal });
    await Promise.all(leases.map((lease) => queue.finish(lease, { status: "succeeded", output: null })));
    processed += leases.length;
  }
  return processed;
};

for await (const text of createInterface({ input: process.stdin })) {
  const command = JSON.parse(text) as { type: string; namespace?: string; start?: number; count?: number };
  if (command.type === "prepare") {
    const open = () =>
      createRedisWorkQueue({ redis: REDIS_URL, namespace: command.namespace!, leaseMs: 30_000 });
    [producer, consumer] = [await open(), await open()];
    share = { start: command.start!, count: command.count! };
    stopping = new AbortController();
    print({ type: "prepared" });
  } else if (command.type === "go" && producer && consumer) {
    running = Promise.all([produce(producer), consume(consumer)]).then(([, processed]) => processed);
  } else if (command.type === "stop") {
    stopping.abort();
    const processed = (await running) ?? 0;
    await Promise.all([producer?.close(), consumer?.close()]);
    producer = consumer = undefined;
    print({ type: "stopped", processed });
  } else if (command.type === "exit") {
    break;
  }
}
// stdin closed or "exit": leave even if a round was cut short (the driver died).
await Promise.all([producer?.close(), consumer?.close()]);
process.exit(0);
