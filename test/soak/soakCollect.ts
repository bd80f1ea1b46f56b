// What the soak run reads once the traffic settled: the soak agent's ledger (every run of every task,
// with its pid), the files the alert sinks wrote, each outbox's dead letters and waiting deliveries,
// and the store's record of every task whose id it learnt — through the runtime's own adapters
// (the WorkQueue and OutboxStore ports), never by reading their tables or keys.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkQueue } from "@troupe/runtime";
import type { OutboxStore } from "@troupe/runtime/notify";
import type { SoakLedgerLine } from "../../apps/host/src/testing/soakAgent.ts";
import type { AlertSeen, Observations, SoakTask } from "./soakObservations.ts";
import type { Cluster } from "./soakPlan.ts";

/** The ledger's lines; a line cut short by a SIGKILL is skipped. */
export const readLedger = (path: string): SoakLedgerLine[] => {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as SoakLedgerLine;
        return typeof parsed.token === "string" && typeof parsed.pid === "number" ? [parsed] : [];
      } catch {
        return [];
      }
    });
};

/** Each alert message the file sink wrote (one JSON file per message, named by its delivery id). */
export const readAlertFiles = (dir: string, cluster: Cluster): AlertSeen[] => {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .flatMap((name): AlertSeen[] => {
      try {
        const message = JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
        return [
          {
            cluster,
            alertId: String(message.alertId),
            how: "delivered",
            at: Date.parse(String(message.writtenAt)),
            severity: String(message.severity),
            detail: String(message.title ?? ""),
          },
        ];
      } catch {
        return [];
      }
    });
};

/** The outbox's dead letters (as undelivered alerts) and its waiting deliveries. */
export const readOutbox = async (
  outbox: OutboxStore,
  cluster: Cluster,
  observations: Observations,
): Promise<void> => {
  const [dead, stats] = await Promise.all([outbox.deadLetters(1_000), outbox.stats(["file"])]);
  for (const letter of dead)
    observations.alerts.push({
      cluster,
      alertId: letter.alertId,
      how: "dead",
      at: letter.at,
      severity: letter.severity,
      detail: `dead letter on ${letter.sink} after ${letter.failures} failures: ${letter.error}`,
    });
  const pending = Object.values(stats.sinks).reduce((sum, sink) => sum + sink.pending, 0);
  observations.alertsPending.push({ cluster, count: pending });
};

/** The store's record of each task of `cluster` whose id is known. */
export const readRecords = async (queue: WorkQueue, tasks: readonly SoakTask[], cluster: Cluster) => {
  for (const task of tasks) {
    if (task.cluster !== cluster || task.taskId === undefined) continue;
    task.record = (await queue.record(task.taskId)) ?? "unknown";
  }
};
