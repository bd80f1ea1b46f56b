// node:sqlite, under the embedded store (@troupe/runtime/sqlite) and SQLite memory: built into Node
// from 22.13 (23.4 on the odd line). On an older Node those entries fail with one line saying so,
// instead of "No such built-in module". Types come from node:sqlite itself.
import type * as NodeSqlite from "node:sqlite";
import { OneLineError } from "./importPeer.ts";

const sqlite = await import("node:sqlite").catch((error: unknown) => {
  if ((error as { code?: unknown } | null)?.code !== "ERR_UNKNOWN_BUILTIN_MODULE") throw error;
  throw new OneLineError(
    `Troupe's SQLite store and memory need node:sqlite, built into Node 22.13 and newer; this is Node ${process.version}`,
  );
});

export const { DatabaseSync } = sqlite;
export type DatabaseSync = NodeSqlite.DatabaseSync;
