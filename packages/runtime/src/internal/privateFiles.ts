// Troupe's files hold task inputs and outputs, memory, alerts, spooled Discord posts and OAuth
// tokens: only their owner may read them, whatever the umask. Every folder Troupe creates is 0700
// and every file 0600 — created so, never widened then narrowed. A SQLite file made here gives its
// -wal and -shm files the same mode (SQLite copies the database file's).
import { closeSync, mkdirSync, openSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Create `dir` and its missing parents as 0700; a folder that exists is left as it is. */
export const makePrivateDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
};

/** makePrivateDir, without blocking. */
export const makePrivateDirAsync = async (dir: string): Promise<void> => {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
};

/** Create `path` empty and 0600 when it does not exist (before SQLite opens it); else leave it. */
export const makePrivateFile = (path: string): void => {
  closeSync(openSync(path, "a", PRIVATE_FILE_MODE));
};

/** Make a SQLite file's folder and the file itself private before it is opened (":memory:" aside). */
export const makePrivateDatabaseFile = (path: string): void => {
  if (path === ":memory:" || path === "") return;
  makePrivateDir(dirname(path));
  makePrivateFile(path);
};
