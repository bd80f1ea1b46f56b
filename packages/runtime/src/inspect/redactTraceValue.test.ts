// The trace's redaction is the logs' rule: whatever redactText masks is masked here too, and text
// with nothing secret comes back as it was.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactText } from "../log/redactSecrets.ts";
import { redactTraceValue } from "./redactTraceValue.ts";

const secrets = [
  "https://user:hunter2@example.com/x",
  "call with api_key=abc123 please",
  "Authorization: Bearer abc.def.ghi",
  "MTA5ODc2NTQzMjEwOTg3NjU0MzI.GaBcDe.abcdefghijklmnopqrstuvwxyz0123",
  "https://discord.com/api/webhooks/123/abcdefghijklmnopqrstuvwxyz0123456789",
  // The shortest bot token the rule knows: 23 + 6 + 27 characters and two dots.
  `${"a".repeat(23)}.${"b".repeat(6)}.${"c".repeat(27)}`,
];

describe("redactTraceValue", () => {
  it("masks what the logs mask", () => {
    for (const text of secrets) {
      expect(redactTraceValue([], text)).toBe(redactText(text));
      expect(redactTraceValue([], text)).not.toBe(text);
    }
  });

  it("agrees with redactText on any text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...secrets)), fc.string(), (a, b) => {
        const text = `${a}${b}`;
        expect(redactTraceValue([], text)).toBe(redactText(text));
      }),
    );
  });

  it("leaves values that are not strings alone", () => {
    expect(redactTraceValue([], 42)).toBe(42);
    expect(redactTraceValue([], null)).toBe(null);
  });
});
