// What the notifier delivers: an alert as agents raise it (the `alert.raised` event's fields, plus
// optional structured facts and a link), checked once at the door so a malformed alert is refused
// with a reason naming the field instead of failing later inside a sink. The alert id rule lives
// here, once: any text an agent, the runtime or the docs use as an id is accepted ("disk:/",
// "system-monitor/load"); where an id becomes part of a narrower name (a file name, an HTTP header)
// the sink maps it (escapeId.ts) instead of refusing it.
import { createHash } from "node:crypto";
import { TroupeError } from "../errors/TroupeError.ts";
import type { Severity } from "../events/catalogue.ts";

export type { Severity } from "../events/catalogue.ts";

export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

export interface Alert {
  /** Stable id: raising the same alert twice delivers it once. */
  readonly alertId: string;
  readonly severity: Severity;
  /** Who raised it (an agent's name, "notifier" for the notifier's own notices). */
  readonly source: string;
  readonly title: string;
  readonly text: string;
  /** Structured facts from the agent's result, rendered as "name: value" lines. */
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
  /** Where the full story is (a dashboard, a thread); long Kakao messages link here. */
  readonly link?: string;
  /** Epoch ms when it was raised. */
  readonly at: number;
}

/** The longest alert id, in characters as JavaScript counts them. */
export const ALERT_ID_MAX_LENGTH = 1_000;

/**
 * Why `id` is not an alert id, or undefined when it is one. An alert id is any well-formed text
 * (no unpaired surrogate) of 1 to ALERT_ID_MAX_LENGTH characters; nothing else is asked of it.
 */
export const alertIdProblem = (id: unknown): string | undefined => {
  if (typeof id !== "string") return `must be text, got ${id === undefined ? "nothing" : typeof id}`;
  if (id.length === 0) return "is empty";
  if (id.length > ALERT_ID_MAX_LENGTH)
    return `is ${id.length} characters long; at most ${ALERT_ID_MAX_LENGTH}`;
  if (!id.isWellFormed()) return "is not well-formed text (it holds an unpaired surrogate)";
  return undefined;
};

const HASH_LENGTH = 16;

/**
 * An alert id made of parts joined by "~" (a notice about another alert: `notifier~dead~<id>~…`),
 * always a valid id: when the parts are too long, the id is cut and ends in a hash of the whole, so
 * it stays stable and unique.
 */
export const deriveAlertId = (...parts: readonly string[]): string => {
  const whole = parts.join("~").toWellFormed();
  if (whole.length === 0) return "~";
  if (whole.length <= ALERT_ID_MAX_LENGTH) return whole;
  const hash = createHash("sha256").update(whole).digest("hex").slice(0, HASH_LENGTH);
  return `${whole.slice(0, ALERT_ID_MAX_LENGTH - HASH_LENGTH - 1).toWellFormed()}~${hash}`;
};

/** Check an alert from outside (an event, a caller); throws InvalidAlert naming the bad field. */
export const checkAlert = (input: Partial<Alert> & Record<string, unknown>, now = Date.now()): Alert => {
  const id = typeof input.alertId === "string" ? input.alertId : "";
  const where = id === "" ? "an alert" : `alert ${JSON.stringify(id.slice(0, 80))}`;
  const fail = (field: string, why: string) =>
    new TroupeError("InvalidAlert", `${where}: ${field} ${why}`, { data: { alertId: id, field } });
  const idProblem = alertIdProblem(input.alertId);
  if (idProblem) throw fail("alertId", idProblem);
  if (!SEVERITIES.includes(input.severity as Severity))
    throw fail("severity", `must be one of ${SEVERITIES.join(", ")}, got ${JSON.stringify(input.severity)}`);
  if (typeof input.source !== "string" || input.source.trim() === "") throw fail("source", "is empty");
  const title = typeof input.title === "string" ? input.title.trim() : "";
  const text = typeof input.text === "string" ? input.text : "";
  if (text.trim() === "") throw fail("text", "is empty: an alert must say what happened");
  if (input.link !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(input.link));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw fail("link", `must be an http(s) URL, got ${JSON.stringify(input.link)}`);
  }
  return {
    alertId: id,
    severity: input.severity as Severity,
    source: input.source.trim(),
    title: title === "" ? text.trim().split("\n")[0]!.slice(0, 80) : title,
    text,
    ...(input.fields ? { fields: input.fields } : {}),
    ...(input.link === undefined ? {} : { link: String(input.link) }),
    at: typeof input.at === "number" && Number.isFinite(input.at) ? input.at : now,
  };
};
