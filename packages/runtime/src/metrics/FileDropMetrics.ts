// The surface's file-drop fallback in Prometheus terms: operations spooled while the surface was down,
// replayed once it was back, refused for good (moved to rejected/), cancelled out in the spool, or
// dropped because the folder was full; and how many wait in the folder now. `withFileDrop` reports
// through the small hook this returns, so it never imports prom-client itself.

import type { FileDropOutcome } from "../surface/withFileDrop.ts";
import { Counter, Gauge, type Registry } from "./promClient.ts";

export interface FileDropMetricsHook {
  outcome(outcome: FileDropOutcome): void;
  pending(count: number): void;
}

export const createFileDropMetrics = (options: { readonly registry: Registry }): FileDropMetricsHook => {
  const { registry } = options;
  const operations =
    (registry.getSingleMetric("troupe_surface_fallback_operations_total") as
      | Counter<"outcome">
      | undefined) ??
    new Counter({
      name: "troupe_surface_fallback_operations_total",
      help: "Outgoing surface operations of the file-drop fallback, by outcome (spooled, replayed, rejected, coalesced, dropped).",
      labelNames: ["outcome"],
      registers: [registry],
    });
  const pending =
    (registry.getSingleMetric("troupe_surface_fallback_pending") as Gauge | undefined) ??
    new Gauge({
      name: "troupe_surface_fallback_pending",
      help: "Outgoing surface operations waiting in the file-drop folder.",
      registers: [registry],
    });
  return {
    outcome: (outcome) => operations.inc({ outcome }),
    pending: (count) => pending.set(count),
  };
};
