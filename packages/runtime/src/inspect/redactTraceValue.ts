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
  /:\/\/|=|Bearer|Basic/.test(text) || (text.length >= 58 && text.includes("."));

export const redactTraceValue: Redact = (_path, value) =>
  typeof value === "string" && mayHoldSecret(value) ? redactText(value) : value;
