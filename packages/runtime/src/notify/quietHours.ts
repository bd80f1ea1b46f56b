// Quiet hours for a sink: a daily window ("22:00-07:00", in a time zone) during which warnings and
// infos are held and then sent as one digest when it ends; critical alerts still go at once.
import { TroupeError } from "../errors/TroupeError.ts";

export interface QuietHours {
  /** Minutes after midnight. */
  readonly from: number;
  readonly to: number;
  /** IANA time zone (default: the machine's). */
  readonly timeZone?: string;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Parse "22:00-07:00"; throws InvalidNotifyConfig naming `field` when malformed. */
export const parseQuietHours = (text: string, field: string, timeZone?: string): QuietHours => {
  const [from, to, ...rest] = text.split("-").map((part) => part.trim());
  const parse = (part: string | undefined) => {
    const match = HHMM.exec(part ?? "");
    return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
  };
  const start = parse(from);
  const end = parse(to);
  if (rest.length > 0 || start === undefined || end === undefined || start === end)
    throw new TroupeError(
      "InvalidNotifyConfig",
      `${field} must look like 22:00-07:00 (two different times of day), got "${text}"`,
      { data: { field } },
    );
  if (timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone });
    } catch {
      throw new TroupeError("InvalidNotifyConfig", `${field}: unknown time zone "${timeZone}"`, {
        data: { field },
      });
    }
  }
  return { from: start, to: end, ...(timeZone ? { timeZone } : {}) };
};

const minuteOfDay = (now: number, timeZone: string | undefined): { minute: number; msIntoMinute: number } => {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const hour = Number(parts.find((part) => part.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((part) => part.type === "minute")?.value ?? 0);
  return { minute: hour * 60 + minute, msIntoMinute: now % 60_000 };
};

/** When the quiet window that contains `now` ends (epoch ms), or undefined outside it. */
export const quietUntil = (quiet: QuietHours, now: number): number | undefined => {
  const { minute, msIntoMinute } = minuteOfDay(now, quiet.timeZone);
  const inside =
    quiet.from < quiet.to
      ? minute >= quiet.from && minute < quiet.to
      : minute >= quiet.from || minute < quiet.to;
  if (!inside) return undefined;
  const left = (quiet.to - minute + 1_440) % 1_440;
  return now - msIntoMinute + left * 60_000;
};
