// How the host handles failures over time: TROUPE_MAX_ATTEMPTS, the deliveries of a failing task
// before it is kept as a dead letter; TROUPE_RETRY_BACKOFF, the first wait before a failed task (with
// a transient error) is delivered again; and TROUPE_TEAM_RESTART, the first wait before a team that
// escalated restarts. Each doubles per failure in a row, up to a minute (or the value if longer), with
// jitter; tasks wait in the work queue meanwhile. Checked at start like every other setting.
import { TroupeError, toMillis } from "@troupe/runtime";

const MAX_DELAY_MS = 60_000;

/** A first wait and its cap. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface FailureBackoffs {
  /** Between deliveries of a failing task (the durable worker's backoff), and how many it gets. */
  readonly retry: Backoff & { readonly maxAttempts: number };
  /** Before an escalated team restarts. */
  readonly teamRestart: Backoff;
}

const backoff = (env: NodeJS.ProcessEnv, name: string, fallback: string): Backoff => {
  const raw = env[name] || fallback;
  let ms: number;
  try {
    ms = toMillis(raw as `${number}s`, name);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= 0))
    throw new TroupeError("InvalidCommand", `${name} must be a time such as 500ms, 1s or 30s, got "${raw}"`);
  return { baseMs: ms, maxMs: Math.max(MAX_DELAY_MS, ms) };
};

const maxAttempts = (env: NodeJS.ProcessEnv): number => {
  const raw = env.TROUPE_MAX_ATTEMPTS || String(DEFAULT_MAX_ATTEMPTS);
  const attempts = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(attempts >= 1))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_MAX_ATTEMPTS must be a whole number from 1 to 999, got "${raw}"`,
    );
  return attempts;
};

export const resolveFailureBackoffs = (env: NodeJS.ProcessEnv): FailureBackoffs => ({
  retry: { ...backoff(env, "TROUPE_RETRY_BACKOFF", "1s"), maxAttempts: maxAttempts(env) },
  teamRestart: backoff(env, "TROUPE_TEAM_RESTART", "1s"),
});
