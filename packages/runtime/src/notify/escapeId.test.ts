// Where an alert id becomes a file name or a header: every id gets one, no two ids share one, and a
// name that fits decodes back to its id. Ids drawn with fast-check over all of Unicode.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALERT_ID_MAX_LENGTH, alertIdProblem, deriveAlertId } from "./Alert.ts";
import { fileNameOf, headerValueOf } from "./escapeId.ts";

/** Any well-formed text of 1 to ALERT_ID_MAX_LENGTH characters (a code point is 1 or 2 of them). */
const anyId = fc.string({ unit: "binary", minLength: 1, maxLength: ALERT_ID_MAX_LENGTH / 2 });

describe("alert ids as names", () => {
  it("gives every id a file name that a file system takes and that decodes back to the id", () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const name = fileNameOf(id);
        expect(name).toMatch(/^[A-Za-z0-9._~%-]+\.json$/);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(205);
        const stem = name.slice(0, -".json".length);
        // A stem that was not cut (no hash at its end) is the id, %XX-encoded.
        if (!/~[0-9a-f]{16}$/.test(stem) || stem.length < 200) expect(decodeURIComponent(stem)).toBe(id);
      }),
    );
  });

  it("never gives two ids the same file name, not even when they only differ past the cut", () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        fc.pre(a !== b);
        expect(fileNameOf(a)).not.toBe(fileNameOf(b));
      }),
    );
    const long = "x".repeat(400);
    expect(fileNameOf(`${long}a`)).not.toBe(fileNameOf(`${long}b`));
  });

  it("names the ids the system monitor and the docs use readably", () => {
    expect(fileNameOf("system-monitor/disk:/")).toBe("system-monitor%2Fdisk%3A%2F.json");
    expect(fileNameOf("disk-/")).toBe("disk-%2F.json");
    expect(fileNameOf("disk_/")).not.toBe(fileNameOf("disk-/"));
  });

  it("keeps visible ASCII in a header value and escapes the rest", () => {
    fc.assert(
      fc.property(anyId, (id) => {
        expect(headerValueOf(id)).toMatch(/^[\x21-\x7E]+$/);
      }),
    );
    expect(headerValueOf("system-monitor/disk:/webhook/0")).toBe("system-monitor/disk:/webhook/0");
    expect(headerValueOf("디스크 /webhook/0")).toBe("%EB%94%94%EC%8A%A4%ED%81%AC%20/webhook/0");
  });

  it("accepts any well-formed text of 1 to 1,000 characters as an id, and derives only valid ones", () => {
    fc.assert(
      fc.property(anyId, (id) => {
        expect(alertIdProblem(id)).toBeUndefined();
      }),
    );
    expect(alertIdProblem("")).toBe("is empty");
    expect(alertIdProblem("x".repeat(1_001))).toBe("is 1001 characters long; at most 1000");
    expect(alertIdProblem("\uD800")).toMatch(/unpaired surrogate/);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 600 }), { maxLength: 5 }), (parts) => {
        const id = deriveAlertId(...parts);
        expect(alertIdProblem(id)).toBeUndefined();
        expect(deriveAlertId(...parts)).toBe(id);
      }),
    );
  });
});
