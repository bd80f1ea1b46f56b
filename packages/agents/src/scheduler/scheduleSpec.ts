// What a schedule is and when it runs next: a cron expression (through croner, a maintained cron
// library: 5 or 6 fields, nicknames such as @daily, time zones), an interval ("every 5m") or a
// one-shot ("at 2026-12-01T09:00:00Z"). Also the parser of `/schedule <when> <task text>`.
import { TroupeError, toMillis } from "@troupe/runtime";
import { Cron } from "croner";

export type ScheduleSpec =
  | { readonly kind: "cron"; readonly expression: string; readonly timezone?: string }
  | { readonly kind: "every"; readonly everyMs: number }
  | { readonly kind: "at"; readonly at: number };

const FIELD = /^[\d*/,\-?LW#]+$/;
const NAMED_FIELD = /^[\d*/,\-?LW#A-Za-z]+$/;

const invalid = (message: string) =>
  new TroupeError(
    "InvalidCommand",
    `${message}. Use /schedule <cron|every 5m|at ISO-time> <task text>, e.g. /schedule "0 9 * * 1-5" check the watchlist`,
  );

const cron = (expression: string, timezone?: string) => {
  try {
    return new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
  } catch (error) {
    throw invalid(`"${expression}" is not a cron expression (${(error as Error).message})`);
  }
};

/** The first run strictly after `after` (ms), or null when there is none (a one-shot in the past). */
export const nextRunAfter = (spec: ScheduleSpec, after: number): number | null => {
  if (spec.kind === "every") return after + spec.everyMs;
  if (spec.kind === "at") return spec.at > after ? spec.at : null;
  return cron(spec.expression, spec.timezone).nextRun(new Date(after))?.getTime() ?? null;
};

/** How a schedule is shown: the cron expression, "every 5m", "at <ISO>". */
export const describeSpec = (spec: ScheduleSpec): string => {
  if (spec.kind === "cron") return spec.timezone ? `${spec.expression} (${spec.timezone})` : spec.expression;
  if (spec.kind === "at") return `at ${new Date(spec.at).toISOString()}`;
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1_000, "s"],
  ];
  const unit = units.find(([ms]) => spec.everyMs % ms === 0);
  return unit ? `every ${spec.everyMs / unit[0]}${unit[1]}` : `every ${spec.everyMs}ms`;
};

/** `<when> <task text>` (what follows /schedule) as a spec and the text to submit. */
export const parseSchedule = (rest: string): { spec: ScheduleSpec; text: string } => {
  const input = rest.trim();
  const finish = (spec: ScheduleSpec, text: string) => {
    if (text.trim() === "") throw invalid("the task text is missing");
    return { spec, text: text.trim() };
  };
  const every = /^every\s+(\d+(?:\.\d+)?\s*(?:ms|s|m|h|d))(?:\s+([\s\S]*))?$/i.exec(input);
  if (every) {
    const everyMs = toMillis(every[1]!.replace(/\s+/g, "") as `${number}m`, "every");
    if (everyMs < 1_000) throw invalid(`every ${every[1]} is too often (at least 1s)`);
    return finish({ kind: "every", everyMs }, every[2] ?? "");
  }
  const at = /^at\s+(\S+)(?:\s+([\s\S]*))?$/i.exec(input);
  if (at) {
    const when = Date.parse(at[1]!);
    if (Number.isNaN(when)) throw invalid(`"${at[1]}" is not an ISO time`);
    return finish({ kind: "at", at: when }, at[2] ?? "");
  }
  const quoted = /^"([^"]+)"\s+([\s\S]*)$/.exec(input);
  if (quoted) {
    cron(quoted[1]!);
    return finish({ kind: "cron", expression: quoted[1]! }, quoted[2]!);
  }
  const tokens = input.split(/\s+/);
  if (tokens[0]?.startsWith("@")) {
    cron(tokens[0]);
    return finish({ kind: "cron", expression: tokens[0] }, tokens.slice(1).join(" "));
  }
  if (tokens.length >= 6 && tokens.slice(0, 5).every((token) => NAMED_FIELD.test(token))) {
    const six = tokens.length >= 7 && FIELD.test(tokens[5]!);
    const expression = tokens.slice(0, six ? 6 : 5).join(" ");
    cron(expression);
    return finish({ kind: "cron", expression }, tokens.slice(six ? 6 : 5).join(" "));
  }
  throw invalid(`cannot read when to run from "${input}"`);
};
