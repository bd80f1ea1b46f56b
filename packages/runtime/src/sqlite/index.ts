// @troupe/runtime/sqlite: the embedded store for one box (node:sqlite, built into Node 24): the work
// queue with its dead letters and idempotency keys, saved snapshots and the notifier's outbox, all in one file. A separate
// entry so programs that never use it never load node:sqlite.

export {
  claimSqliteConsumerName,
  consumerLockPath,
  type SqliteConsumerNameOptions,
} from "./SqliteConsumerName.ts";
export {
  openSqliteOutboxStore,
  type SqliteOutboxStore,
  type SqliteOutboxStoreOptions,
} from "./SqliteOutboxStore.ts";
export {
  openSqliteSnapshotStore,
  type SqliteSnapshotStore,
  type SqliteSnapshotStoreOptions,
} from "./SqliteSnapshotStore.ts";
export { openSqliteWorkQueue, type SqliteWorkQueue, type SqliteWorkQueueOptions } from "./SqliteWorkQueue.ts";
