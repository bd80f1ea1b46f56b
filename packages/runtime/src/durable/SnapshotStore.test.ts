// The in-memory snapshot store keeps the SnapshotStore contract (so the tests of what saves runs
// on it mean something).
import { MemorySnapshotStore } from "./SnapshotStore.ts";
import { describeSnapshotStoreContract } from "./snapshotStore.contract.ts";

describeSnapshotStoreContract("MemorySnapshotStore", async () => {
  const store = new MemorySnapshotStore();
  return { store, reopen: async () => store, cleanup: async () => {} };
});
