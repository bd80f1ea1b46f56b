// The notifier's part of /healthz: degraded while a sink's breaker is open or the sink is held
// (re-authorisation, quota), with the sinks named; never down, since the host takes work without
// it. Kept from the notifier's own reports, so it answers even while the outbox's store does not.
import type { Notifier, SinkHold, SinkStatus } from "@troupe/runtime/notify";
import type { HealthCheck } from "../health/HealthChecks.ts";

interface SinkState {
  breaker: string;
  hold: SinkHold | undefined;
}

/** The notifier's health check from `initial` (its status at start) on, and the function that stops watching. */
export const watchNotifierHealth = (
  notifier: Notifier,
  initial: readonly SinkStatus[],
): { check: HealthCheck; stop: () => void } => {
  const sinks = new Map<string, SinkState>(
    initial.map((sink) => [sink.name, { breaker: sink.breaker, hold: sink.hold }]),
  );
  const stop = notifier.observe((event) => {
    const sink = "sink" in event ? sinks.get(event.sink) : undefined;
    if (!sink) return;
    if (event.type === "breaker") sink.breaker = event.to;
    else if (event.type === "held") sink.hold = event.hold;
    else if (event.type === "unheld") sink.hold = undefined;
  });
  const check: HealthCheck = () => {
    const troubles = [...sinks]
      .map(([name, sink]) =>
        sink.hold
          ? `${name} held (${sink.hold.reason}: ${sink.hold.detail})`
          : sink.breaker === "open"
            ? `${name} breaker open`
            : undefined,
      )
      .filter((trouble) => trouble !== undefined);
    const details = {
      sinks: Object.fromEntries(
        [...sinks].map(([name, sink]) => [name, { breaker: sink.breaker, held: sink.hold?.reason ?? null }]),
      ),
    };
    if (troubles.length === 0) return { status: "up", details };
    const none = troubles.length === sinks.size ? "no sink can deliver alerts now: " : "";
    return { status: "degraded", reason: `${none}${troubles.join("; ")}`, details };
  };
  return { check, stop };
};
