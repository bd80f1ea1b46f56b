// The in-memory queue keeps the WorkQueue contract (so the worker's tests on it mean something).
import { CONTRACT_LEASE_MS, describeWorkQueueContract } from "../durable/workQueue.contract.ts";
import { MemoryWorkQueue } from "./MemoryWorkQueue.ts";

describeWorkQueueContract("MemoryWorkQueue", async () => {
  const queue = new MemoryWorkQueue({ leaseMs: CONTRACT_LEASE_MS });
  return { queue, reopen: async () => queue.reopen(), cleanup: () => queue.close() };
});
