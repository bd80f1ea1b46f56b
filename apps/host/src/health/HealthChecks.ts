// What /healthz and /readyz say: each part of the host — the store, the Discord gateway, the
// notifier's sinks, the team — registers a check of its own health here when it starts (and takes it
// back when it stops), so adding a part to the answer is one `register` call. A check answers `up`,
// `degraded` (works, but something a person should know about, e.g. a sink that is down) or `down`
// (the host cannot take work because of it); a check that throws or does not answer in time counts
// as down. The host is healthy while no part is down.
import { formatMillis, type Team } from "@troupe/runtime";

export type ComponentStatus = "up" | "degraded" | "down";

export interface ComponentHealth {
  readonly status: ComponentStatus;
  /** Why it is not up, for a person. */
  readonly reason?: string;
  /** Facts worth showing beside it (the store's kind, the sinks' breakers, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A part's check; `signal` aborts when the answer is no longer awaited. */
export type HealthCheck = (signal: AbortSignal) => ComponentHealth | Promise<ComponentHealth>;

export interface HealthReport {
  /** `ok`: every part up; `degraded`: none down, some degraded; `unavailable`: a part is down. */
  readonly status: "ok" | "degraded" | "unavailable";
  /** One line per part that is not up: `<part>: <reason>`. */
  readonly reasons: readonly string[];
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

/** How long one check may take before it counts as down. */
export const CHECK_TIMEOUT_MS = 2_000;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class HealthChecks {
  readonly #checks = new Map<string, HealthCheck>();

  /** Add a part's check (replacing one of the same name); returns the function that removes it. */
  register(name: string, check: HealthCheck): () => void {
    this.#checks.set(name, check);
    return () => {
      if (this.#checks.get(name) === check) this.#checks.delete(name);
    };
  }

  /** Ask every part at once, each within CHECK_TIMEOUT_MS. */
  async report(timeoutMs = CHECK_TIMEOUT_MS): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => [name, await ask(check, timeoutMs)] as const),
    );
    const components = Object.fromEntries(entries);
    const statuses = entries.map(([, health]) => health.status);
    return {
      status: statuses.includes("down") ? "unavailable" : statuses.includes("degraded") ? "degraded" : "ok",
      reasons: entries
        .filter(([, health]) => health.status !== "up")
        .map(([name, health]) => `${name}: ${health.reason ?? health.status}`),
      components,
    };
  }
}

const ask = async (check: HealthCheck, timeoutMs: number): Promise<ComponentHealth> => {
  const deadline = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => check(deadline.signal)),
      new Promise<ComponentHealth>((resolve) => {
        timer = setTimeout(
          () => resolve({ status: "down", reason: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    return { status: "down", reason: message(error) };
  } finally {
    clearTimeout(timer);
    deadline.abort();
  }
};

/** How long /healthz keeps saying that the team restarted after an escalation. */
export const RECENT_ESCALATION_MS = 5 * 60_000;

/**
 * The team's part: down while it is escalated, with the reason, since when and when it restarts
 * ([failures](docs/failures.md)); degraded for `recentMs` after it restarted from an escalation, so
 * a probe every minute still sees one that lasted a second; up otherwise (a stop in progress is
 * /readyz's to say).
 */
export const teamHealth = (team: Team, options: { readonly recentMs?: number } = {}): HealthCheck => {
  const recentMs = options.recentMs ?? RECENT_ESCALATION_MS;
  const now = () => team.clock.now();
  let reason = "";
  let restarted: { readonly at: number; readonly reason: string; readonly downMs: number } | undefined;
  team.bus.on("supervisor.escalated", (event) => {
    reason = event.reason;
  });
  team.bus.on("supervisor.restarted", (event) => {
    restarted = { at: now(), reason, downMs: event.downMs };
  });
  const iso = (epochMs: number) => new Date(epochMs).toISOString();
  return () => {
    const { lifecycle, escalation } = team.status();
    if (escalation)
      return {
        status: "down",
        reason: `the team escalated: ${escalation.reason}`,
        details: {
          state: lifecycle,
          since: iso(escalation.since),
          ...(escalation.restartAt === undefined ? {} : { restartAt: iso(escalation.restartAt) }),
        },
      };
    if (restarted && now() - restarted.at < recentMs)
      return {
        status: "degraded",
        reason: `the team restarted ${formatMillis(now() - restarted.at)} ago after an escalation (down ${formatMillis(restarted.downMs)}): ${restarted.reason}`,
        details: { state: lifecycle, restartedAt: iso(restarted.at), downMs: restarted.downMs },
      };
    return { status: "up" };
  };
};
