// The team's part of /healthz: healthy only while the team runs and takes tasks. Escalated (or
// restarting after it), it says why, since when and when it restarts; draining, that it stops.
import type { TeamStatus } from "@troupe/runtime";

export interface TeamHealth {
  readonly ok: boolean;
  readonly state: TeamStatus["lifecycle"];
  /** Why the team is not healthy (absent when it is). */
  readonly reason?: string;
  /** ISO times: since when the team is escalated, and when it restarts. */
  readonly since?: string;
  readonly restartAt?: string;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export const teamHealth = (status: Pick<TeamStatus, "lifecycle" | "escalation">): TeamHealth => {
  const { lifecycle, escalation } = status;
  if (escalation)
    return {
      ok: false,
      state: lifecycle,
      reason: escalation.reason,
      since: iso(escalation.since),
      ...(escalation.restartAt === undefined ? {} : { restartAt: iso(escalation.restartAt) }),
    };
  if (lifecycle !== "running") return { ok: false, state: lifecycle, reason: `the team is ${lifecycle}` };
  return { ok: true, state: lifecycle };
};
