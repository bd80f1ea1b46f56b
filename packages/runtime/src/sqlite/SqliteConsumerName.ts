// The embedded store's ConsumerName: a small SQLite file beside the store per consumer name, on which
// the holder keeps a write transaction open for as long as it runs. SQLite's file lock is the
// operating system's, so it dies with the process (a crash or SIGKILL frees the name at once), and a
// second process — or a second claim in this one — gets "busy" at once. The holder's pid, machine and
// start are committed in the file first, so a refused claim can say who holds the name.

import {
  type ConsumerName,
  type ConsumerNameHolder,
  consumerNameInUse,
  thisProcess,
} from "../durable/ConsumerName.ts";
import { DatabaseSync } from "../internal/nodeSqlite.ts";
import { makePrivateDatabaseFile } from "../internal/privateFiles.ts";

export interface SqliteConsumerNameOptions {
  /** The store file (`.troupe/default.sqlite`); the lock is `<store>.<consumer>.lock` beside it. */
  readonly path: string;
  readonly consumer: string;
}

/** The lock file of `consumer` on the store at `path`. */
export const consumerLockPath = (path: string, consumer: string): string =>
  `${path}.${encodeURIComponent(consumer)}.lock`;

const isBusy = (error: unknown) => /database is locked|SQLITE_BUSY/i.test(String((error as Error).message));

/** Hold `consumer` on this store for as long as this process runs; throws ConsumerNameInUse when held. */
export const claimSqliteConsumerName = (options: SqliteConsumerNameOptions): ConsumerName => {
  const path = consumerLockPath(options.path, options.consumer);
  makePrivateDatabaseFile(path);
  // No busy timeout: a held name is refused at once. Rollback journal: readers are not blocked by
  // the holder's open write transaction, so a refused claim can read who holds it.
  const db = new DatabaseSync(path, { timeout: 0 });
  const holderOf = (): ConsumerNameHolder | undefined => {
    try {
      return (db.prepare("SELECT pid, host, since FROM holder WHERE id = 1").get() ?? undefined) as
        | ConsumerNameHolder
        | undefined;
    } catch {
      return undefined;
    }
  };
  const refuse = (error: unknown): never => {
    const holder = holderOf();
    db.close();
    if (isBusy(error)) throw consumerNameInUse(options.consumer, options.path, holder);
    throw error;
  };
  try {
    db.exec("PRAGMA journal_mode = DELETE");
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    refuse(error);
  }
  try {
    const me = thisProcess();
    db.exec(
      "CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL) STRICT",
    );
    db.prepare("INSERT OR REPLACE INTO holder (id, pid, host, since) VALUES (1, ?, ?, ?)").run(
      me.pid,
      me.host,
      me.since,
    );
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    db.close();
    throw error;
  }
  // Another process may slip in between the commit and this: then it holds the name, not us.
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    refuse(error);
  }
  let held = true;
  return {
    consumer: options.consumer,
    get held() {
      return held;
    },
    onLost: () => () => {}, // a file lock is lost only with the process
    async release() {
      if (!held) return;
      held = false;
      db.exec("ROLLBACK");
      db.close();
    },
  };
};
