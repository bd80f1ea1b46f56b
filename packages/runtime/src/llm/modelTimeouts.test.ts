// Model call deadlines from the environment: the role's variable over MODEL_TIMEOUT over 5 minutes,
// bad values refused naming the variable, and advice that names what to change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkModelTimeouts, modelTimeoutAdvice, resolveModelTimeout } from "./modelTimeouts.ts";

describe("model timeouts", () => {
  it("takes MODEL_TIMEOUT_<ROLE>, then MODEL_TIMEOUT, then 5 minutes", () => {
    const env = { MODEL_TIMEOUT: "2m", MODEL_TIMEOUT_SYSTEM_MONITOR: "1.5s" };
    expect(resolveModelTimeout("system-monitor", env)).toEqual({
      ms: 1_500,
      source: "MODEL_TIMEOUT_SYSTEM_MONITOR",
    });
    expect(resolveModelTimeout("research", env)).toEqual({ ms: 120_000, source: "MODEL_TIMEOUT" });
    expect(resolveModelTimeout("research", {})).toEqual({ ms: 300_000, source: "default" });
    expect(resolveModelTimeout(undefined, { MODEL_TIMEOUT_CODE: "1s" }).source).toBe("default");
  });

  it("refuses anything but a positive duration, naming the variable", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("soon", "0s", "-1s", "30", "1 m", "1w"),
        fc.constantFrom("MODEL_TIMEOUT", "MODEL_TIMEOUT_CODE"),
        (raw, variable) => {
          expect(() => checkModelTimeouts({ [variable]: raw })).toThrow(
            `${variable} must be a time such as 30s, 2m or 1h, got ${JSON.stringify(raw)}`,
          );
        },
      ),
    );
    expect(() =>
      checkModelTimeouts({ MODEL_TIMEOUT: "90s", MODEL_TIMEOUT_CODE: "", MODEL_CODE: "x" }),
    ).not.toThrow();
  });

  it("says which setting to change", () => {
    expect(modelTimeoutAdvice("research", "MODEL_TIMEOUT_RESEARCH")).toBe("raise MODEL_TIMEOUT_RESEARCH");
    expect(modelTimeoutAdvice("research", "MODEL_TIMEOUT")).toBe(
      "raise MODEL_TIMEOUT (or set MODEL_TIMEOUT_RESEARCH for this role alone)",
    );
    expect(modelTimeoutAdvice("research", "default")).toBe(
      "set MODEL_TIMEOUT_RESEARCH or MODEL_TIMEOUT to wait longer",
    );
    expect(modelTimeoutAdvice("research", "call")).toBe("give the call a longer deadline");
  });
});
