// The tests' executable adds exactly the test agents TROUPE_TEST_AGENTS names, and refuses others.
import { describe, expect, it } from "vitest";
import { testAgentsNamed } from "./testAgents.ts";

describe("testAgentsNamed", () => {
  it("adds test agents only when TROUPE_TEST_AGENTS names them", () => {
    expect(testAgentsNamed(undefined)).toEqual([]);
    expect(testAgentsNamed("slow, gate").map((agent) => agent.name)).toEqual(["slow", "gate"]);
    expect(() => testAgentsNamed("slow, fast")).toThrow(
      'TROUPE_TEST_AGENTS knows only slow, gate, long, approver, asker, tooler, recaller, file, crasher, soak, stall, got "fast"',
    );
  });
});
