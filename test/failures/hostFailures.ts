// What the failure tests share: a fresh Redis namespace per host (deleted afterwards), hosts killed if
// a test left them running, and reading a piped console's lines per task.
import { randomUUID } from "node:crypto";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterEach } from "vitest";
import type { TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";

export const REDIS_URL = "redis://127.0.0.1:6379";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Run `cleanup` after the current test, last registered first. */
export const onCleanup = (cleanup: () => Promise<unknown> | unknown) => cleanups.push(cleanup);

/** A namespace of its own on the shared Redis, deleted after the test. */
export const freshNamespace = () => {
  const namespace = `test-${randomUUID()}`;
  onCleanup(async () => {
    const redis = new Redis(REDIS_URL);
    await deleteNamespace(redis, namespace);
    await redis.quit();
  });
  return namespace;
};

/** The host is killed after the test if it is still running. */
export const watched = (troupe: TroupeProcess) => {
  onCleanup(async () => {
    if (troupe.child.exitCode === null && troupe.child.signalCode === null) troupe.child.kill("SIGKILL");
    await troupe.exited;
  });
  return troupe;
};

const TASK_LINE = /^\[(t-[0-9a-f]+)\] (.*)$/;

/** The console's status lines, per task id, in the order printed. */
export const linesByTask = (stdout: readonly string[]): Map<string, string[]> => {
  const tasks = new Map<string, string[]>();
  for (const line of stdout) {
    const match = TASK_LINE.exec(line);
    if (!match) continue;
    const [, id, text] = match;
    tasks.set(id!, [...(tasks.get(id!) ?? []), text!]);
  }
  return tasks;
};
