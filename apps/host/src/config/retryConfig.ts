// TROUPE_MAX_ATTEMPTS and TROUPE_RETRY_BACKOFF: how often the worker delivers a failing task before
// it goes to the dead letters, and the first retry's backoff (doubled for each further retry, up to
// a minute or the backoff itself if longer, with jitter). Checked at start like every other setting.
import { TroupeError, toMillis } from "@troupe/runtime";

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_BACKOFF = "1s";

export interface RetryConfig {
  readonly maxAttempts: number;
  readonly backoffMs: number;
}

export const resolveRetryConfig = (env: NodeJS.ProcessEnv): RetryConfig => {
  const attempts = env.TROUPE_MAX_ATTEMPTS || String(DEFAULT_MAX_ATTEMPTS);
  const maxAttempts = /^\d{1,3}$/.test(attempts) ? Number(attempts) : Number.NaN;
  if (!(maxAttempts >= 1))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_MAX_ATTEMPTS must be a whole number from 1 to 999, got "${attempts}"`,
    );
  const backoff = env.TROUPE_RETRY_BACKOFF || DEFAULT_RETRY_BACKOFF;
  let backoffMs: number;
  try {
    backoffMs = toMillis(backoff as `${number}s`, "TROUPE_RETRY_BACKOFF");
  } catch {
    backoffMs = Number.NaN;
  }
  if (!(backoffMs >= 0))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_RETRY_BACKOFF must be a time such as 250ms, 1s or 1m, got "${backoff}"`,
    );
  return { maxAttempts, backoffMs };
};
