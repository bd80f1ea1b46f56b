// How much of what was written in the mapped channels while troupe was not connected to Discord is
// read back and answered (after a start, a reconnect or a new gateway session):
// TROUPE_DISCORD_CATCHUP_MAX messages a channel at most, the newest kept (default 100; 0 turns the
// catch-up off), written within TROUPE_DISCORD_CATCHUP_WINDOW (default 1h; at most 7d, as long as the
// work queue keeps the record of a finished task, which is what tells a message was already taken).
import { type CatchUpSettings, DEFAULT_CATCH_UP, TroupeError, toMillis } from "@troupe/runtime";

const MAX_MESSAGES = 1_000;
const MIN_WINDOW_MS = 1_000;
const MAX_WINDOW_MS = 7 * 86_400_000;

const invalid = (name: string, reason: string) => new TroupeError("InvalidCommand", `${name} ${reason}`);

export const resolveDiscordCatchUp = (env: NodeJS.ProcessEnv): CatchUpSettings => {
  const rawMax = env.TROUPE_DISCORD_CATCHUP_MAX?.trim() || String(DEFAULT_CATCH_UP.maxPerChannel);
  const maxPerChannel = /^\d+$/.test(rawMax) ? Number(rawMax) : Number.NaN;
  if (!(maxPerChannel <= MAX_MESSAGES))
    throw invalid(
      "TROUPE_DISCORD_CATCHUP_MAX",
      `must be a number of messages from 0 (no catch-up) to ${MAX_MESSAGES}, got "${rawMax}"`,
    );
  const rawWindow = env.TROUPE_DISCORD_CATCHUP_WINDOW?.trim() || "1h";
  let windowMs: number;
  try {
    windowMs = toMillis(rawWindow as `${number}h`, "TROUPE_DISCORD_CATCHUP_WINDOW");
  } catch {
    windowMs = Number.NaN;
  }
  if (!(windowMs >= MIN_WINDOW_MS && windowMs <= MAX_WINDOW_MS))
    throw invalid(
      "TROUPE_DISCORD_CATCHUP_WINDOW",
      `must be a time from 1s to 7d such as 30m, 1h or 1d, got "${rawWindow}"`,
    );
  return { maxPerChannel, windowMs };
};
