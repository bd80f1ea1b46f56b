// What the notifier delivers: an alert as agents raise it (the `alert.raised` event's fields, plus
// optional structured facts and a link), checked once at the door so a malformed alert is refused
// with a reason naming the field instead of failing later inside a sink.
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

const ID = /^[A-Za-z0-9._:@~-]{1,200}$/;

/** Check an alert from outside (an event, a caller); throws InvalidAlert naming the bad field. */
export const checkAlert = (input: Partial<Alert> & Record<string, unknown>, now = Date.now()): Alert => {
  const id = typeof input.alertId === "string" ? input.alertId : "";
  const where = id === "" ? "an alert" : `alert ${JSON.stringify(id)}`;
  const fail = (field: string, why: string) =>
    new TroupeError("InvalidAlert", `${where}: ${field} ${why}`, { data: { alertId: id, field } });
  if (!ID.test(id)) throw fail("alertId", 'must be 1 to 200 letters, digits or "._:@~-"');
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
