// The redaction a recorded trace goes through: every string is passed through the same rule as the
// logs (redactText), so a token in a prompt, a tool result or a person's answer is never written.
// A replay normalizes what it compares with the same function, so redacted recordings still match.
import { redactText } from "../log/redactSecrets.ts";
import type { Redact } from "./toJsonSafe.ts";

export const redactTraceValue: Redact = (_path, value) =>
  typeof value === "string" ? redactText(value) : value;
