// The Redis event mirror's counters in Prometheus terms: messages by outcome and reconnections, per
// namespace. The mirror counts through the small hook this returns, so @troupe/runtime/redis never
// imports prom-client itself.
import { Counter, type Registry } from "./promClient.ts";

type MirrorOutcome = "published" | "received" | "malformed" | "dropped";

/** The counters of one mirror's namespace: one per message outcome, and `gap` per reconnection. */
export type MirrorMetricsHook = (
  namespace: string,
) => Readonly<Record<MirrorOutcome | "gap", { inc(): void }>>;

export const createMirrorMetrics = (options: { readonly registry: Registry }): MirrorMetricsHook => {
  const { registry } = options;
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const messages =
    existing<Counter<"namespace" | "outcome">>("troupe_mirror_messages_total") ??
    new Counter({
      name: "troupe_mirror_messages_total",
      help: "Events the Redis mirror published, received, found malformed or dropped, by namespace.",
      labelNames: ["namespace", "outcome"] as const,
      registers: [registry],
    });
  const gaps =
    existing<Counter<"namespace">>("troupe_mirror_gaps_total") ??
    new Counter({
      name: "troupe_mirror_gaps_total",
      help: "Times the Redis mirror lost its connection and came back (events of the gap were not seen).",
      labelNames: ["namespace"] as const,
      registers: [registry],
    });
  return (namespace) => {
    const labels = (outcome: MirrorOutcome) => messages.labels({ namespace, outcome });
    return {
      published: labels("published"),
      received: labels("received"),
      malformed: labels("malformed"),
      dropped: labels("dropped"),
      gap: gaps.labels({ namespace }),
    };
  };
};
