// What the soak run watches from outside while it runs: each host's /healthz (a sample every few
// seconds; a body whose team part is down for an escalation is a sign it stopped taking work, and
// one whose team part says it restarted from an escalation lately tells of one shorter than the
// probe's period, whatever other part made the answer 503), its work-queue
// backlog from /metrics, and the Redis team's events on pub/sub (alerts raised, escalations, with
// the host that published them). /healthz is read defensively: only the status code and the team's
// part of the body count, whatever else the body holds.
import { eventChannel } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import type { SoakHost } from "./soakHosts.ts";
import type { Observations } from "./soakObservations.ts";
import type { HostName } from "./soakPlan.ts";

const PROBE_DEADLINE_MS = 1_500;

export const probeHealth = async (host: SoakHost, observations: Observations): Promise<void> => {
  const at = Date.now();
  const causedBySoak = host.state !== "up";
  const url = host.httpUrl;
  if (url === undefined || host.state === "down") {
    observations.health.push({ host: host.name, at, status: "unreachable", causedBySoak });
    return;
  }
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_DEADLINE_MS) });
    const body = await response.text();
    const team = teamPart(body);
    // The team is escalated (down), or restarted from an escalation lately (degraded).
    const saysEscalation = team !== undefined && team.status !== "up" && /escalat/i.test(team.reason ?? "");
    observations.health.push({ host: host.name, at, status: response.status, causedBySoak, saysEscalation });
    if (team?.status === "down" && saysEscalation)
      observations.stops.push({
        at,
        cluster: host.cluster,
        host: host.name,
        what: `/healthz of host ${host.name} answered ${response.status}: team: ${team.reason}`,
      });
  } catch {
    observations.health.push({ host: host.name, at, status: "unreachable", causedBySoak });
  }
};

/** The team's part of a /healthz body, read defensively (undefined when the body is not the documented one). */
const teamPart = (body: string): { readonly status?: unknown; readonly reason?: string } | undefined => {
  try {
    const team = (JSON.parse(body) as { components?: { team?: { status?: unknown; reason?: unknown } } })
      .components?.team;
    if (team === undefined || team === null) return undefined;
    return { status: team.status, ...(typeof team.reason === "string" ? { reason: team.reason } : {}) };
  } catch {
    return undefined;
  }
};

/** Tasks ready, leased or delayed in the host's work queue, from its /metrics; undefined when unknown. */
export const queueBacklog = async (host: SoakHost): Promise<number | undefined> => {
  if (host.httpUrl === undefined || host.state !== "up") return undefined;
  try {
    const response = await fetch(`${host.httpUrl}/metrics`, {
      signal: AbortSignal.timeout(PROBE_DEADLINE_MS),
    });
    const text = await response.text();
    let total = 0;
    for (const state of ["ready", "leased", "delayed"]) {
      const value = new RegExp(`^troupe_work_queue_tasks\\{state="${state}"\\} (\\d+)`, "m").exec(text)?.[1];
      if (value === undefined) return undefined;
      total += Number(value);
    }
    return total;
  } catch {
    return undefined;
  }
};

/**
 * Listen to the Redis team's `alert.raised` and `supervisor.escalated` events (at most once, as
 * pub/sub is: those published while Redis restarts are lost). `origins` names the host of each
 * event mirror (from its "event mirror: Redis pub/sub" log).
 */
export const watchRedisEvents = (options: {
  readonly url: string;
  readonly namespace: string;
  readonly observations: Observations;
  readonly origins: ReadonlyMap<string, HostName>;
}) => {
  const { observations, origins } = options;
  const subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
  subscriber.on("error", () => {
    // reconnects by itself (Redis restarts during the run)
  });
  const raised = eventChannel(options.namespace, "alert.raised");
  const escalated = eventChannel(options.namespace, "supervisor.escalated");
  void subscriber.subscribe(raised, escalated).catch(() => undefined);
  subscriber.on("message", (channel: string, message: string) => {
    let payload: { origin?: string; event?: Record<string, unknown>; events?: Record<string, unknown>[] };
    try {
      payload = JSON.parse(message) as typeof payload;
    } catch {
      return;
    }
    // One event, or a run of one type published in the same turn (the mirror batches them).
    const events = payload.events ?? [payload.event ?? {}];
    const host = origins.get(String(payload.origin));
    const at = Date.now();
    for (const event of events) {
      if (channel === raised)
        observations.alerts.push({
          cluster: "redis",
          alertId: String(event.alertId),
          how: "raised",
          at,
          ...(typeof event.severity === "string" ? { severity: event.severity } : {}),
          detail: `raised by ${String(event.source)}${host ? ` on host ${host}` : ""}`,
        });
      else
        observations.stops.push({
          at,
          cluster: "redis",
          ...(host ? { host } : {}),
          what: `supervisor.escalated${host ? ` on host ${host}` : ""}: ${String(event.reason)}`,
        });
    }
  });
  return { close: () => subscriber.quit().catch(() => subscriber.disconnect()) };
};
