// The embedded store's file: opened in WAL mode with a busy timeout (so several processes can share
// it), and its tables (work queue, dead letters, saved snapshots, idempotency keys) in one place so
// every adapter's statements agree on them. `user_version` numbers the layout: a file written by a
// newer layout is refused instead of being misread.
import { DatabaseSync } from "../internal/nodeSqlite.ts";
import { makePrivateDatabaseFile } from "../internal/privateFiles.ts";

export const SCHEMA_VERSION = 1;

const TABLES = `
CREATE TABLE IF NOT EXISTS troupe_tasks (
  id            TEXT PRIMARY KEY,
  input         TEXT NOT NULL,              -- the WorkItem's input, as JSON
  status        TEXT NOT NULL,              -- queued | leased | delayed | succeeded | cancelled | dead
  fence         INTEGER NOT NULL DEFAULT 0, -- grows with every claim
  attempts      INTEGER NOT NULL DEFAULT 0, -- deliveries so far
  holder        TEXT,                       -- the consumer holding the lease
  leased_until  INTEGER NOT NULL DEFAULT 0, -- epoch ms; past it, anyone may take the task over
  due_at        INTEGER NOT NULL,           -- epoch ms; when a queued or delayed task may be leased
  enqueued_at   INTEGER NOT NULL,
  finished_at   INTEGER,
  output        TEXT,                       -- JSON of a succeeded task's output
  error_tag     TEXT,                       -- the last failure
  error_reason  TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS troupe_tasks_due ON troupe_tasks (status, due_at);
CREATE INDEX IF NOT EXISTS troupe_tasks_lease ON troupe_tasks (status, leased_until);
CREATE INDEX IF NOT EXISTS troupe_tasks_holder ON troupe_tasks (holder, status);

CREATE TABLE IF NOT EXISTS troupe_dead_letters (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id       TEXT NOT NULL,
  input         TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  error_tag     TEXT NOT NULL,
  error_reason  TEXT NOT NULL,
  at            INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_snapshots (
  key           TEXT PRIMARY KEY,           -- e.g. a task id
  value         TEXT NOT NULL,              -- JSON of an XState persisted snapshot
  saved_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_idempotency (
  key           TEXT PRIMARY KEY,
  expires_at    INTEGER NOT NULL
) STRICT;
`;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Create the tables (or check an existing file's layout) on an open database. */
const applySchema = (db: DatabaseSync, path: string): void => {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `the store file ${path} was written by a newer troupe (layout ${version}, this one reads ${SCHEMA_VERSION})`,
    );
  }
  inTransaction(db, () => {
    db.exec(TABLES);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
};

/** Open (creating the file, 0600, and its folder, 0700, when missing) the store at `path`, an absolute path. */
export const openStoreFile = (path: string, options: { busyTimeoutMs?: number } = {}): DatabaseSync => {
  let db: DatabaseSync;
  try {
    makePrivateDatabaseFile(path);
    db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5_000 });
  } catch (error) {
    throw new Error(`cannot open the store file ${path}: ${message(error)}`, { cause: error });
  }
  try {
    // NORMAL is durable across a crash of the process (not of the machine) in WAL mode.
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    applySchema(db, path);
  } catch (error) {
    db.close();
    throw new Error(`cannot use the store file ${path}: ${message(error)}`, { cause: error });
  }
  return db;
};

/** Run `work` in one IMMEDIATE transaction: the write lock is taken before anything is read. */
export const inTransaction = <T>(db: DatabaseSync, work: () => T): T => {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
};
