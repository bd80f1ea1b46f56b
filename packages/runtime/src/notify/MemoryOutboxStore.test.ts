// The in-memory outbox keeps the same contract as the durable ones (a "reopen" is the same object).
import { MemoryOutboxStore } from "./MemoryOutboxStore.ts";
import { describeOutboxContract } from "./outboxStore.contract.ts";

describeOutboxContract("MemoryOutboxStore", async () => {
  const store = new MemoryOutboxStore();
  return { store, reopen: async () => store, cleanup: async () => {} };
});
