// The redaction a recorded trace goes through: every string is passed through the same rule as the
// logs (redactText), so a token in a prompt, a tool result or a person's answer is never written.
// A replay normalizes what it compares with the same function, so redacted recordings still match.
import { redactText } from "../log/redactSecrets.ts";
import type { Redact } from "./toJsonSafe.ts";

/**
 * Whether redactText could change `text`: a URL, a `name=value` pair, a Bearer or Basic credential,
 * or a long dotted bot token. Most recorded strings (ids, names, event types) are none of these and
 * skip the regular expressions.
 */
const mayHoldSecret = (text: string): boolean =>
  text.length < 58 ? shortMayHoldSecret(text) : /:\/\/|=|Bearer|Basic/.test(text) || text.includes(".");

/**
 * The same test for a short string (an id, a name, an event type: most of what a trace holds), as
 * one pass over its characters: cheaper than the regular expression's call for a few characters.
 */
const shortMayHoldSecret = (text: string): boolean => {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 61 /* = */) return true;
    if (code === 58 /* : */ && text.startsWith("//", index + 1)) return true;
    if (code === 66 /* B */ && (text.startsWith("earer", index + 1) || text.startsWith("asic", index + 1)))
      return true;
  }
  return false;
};

export const redactTraceValue: Redact = (_path, value) =>
  typeof value === "string" && mayHoldSecret(value) ? redactText(value) : value;
