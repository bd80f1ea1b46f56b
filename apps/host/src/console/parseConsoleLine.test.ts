// The console's own commands (help, quit, and the answers to a task's question, approval or poll);
// every other line is left to the console surface.
import { describe, expect, it } from "vitest";
import { parseConsoleLine } from "./parseConsoleLine.ts";

describe("parseConsoleLine", () => {
  it("reads the console's own commands", () => {
    expect(parseConsoleLine("/help")).toEqual({ kind: "help" });
    expect(parseConsoleLine("/QUIT")).toEqual({ kind: "quit" });
    expect(parseConsoleLine("/answer t-1 eu west")).toEqual({
      kind: "answer",
      taskId: "t-1",
      text: "eu west",
    });
    expect(parseConsoleLine("/approve t-1")).toEqual({ kind: "approve", taskId: "t-1", hash: undefined });
    expect(parseConsoleLine("/approve t-1 #ab12cd34")).toEqual({
      kind: "approve",
      taskId: "t-1",
      hash: "#ab12cd34",
    });
    expect(parseConsoleLine("/deny t-1")).toEqual({ kind: "deny", taskId: "t-1", hash: undefined });
    expect(parseConsoleLine("/vote t-1 2")).toEqual({ kind: "vote", taskId: "t-1", choice: 2 });
  });

  it("explains a malformed one", () => {
    expect(parseConsoleLine("/answer t-1")).toMatchObject({ kind: "error" });
    expect(parseConsoleLine("/deny")).toMatchObject({ kind: "error" });
    expect(parseConsoleLine("/vote t-1 yes")).toMatchObject({ kind: "error" });
  });

  it("leaves the surface's commands, messages and unknown commands to the console surface", () => {
    for (const line of ["/ask echo hi", "/status", "@echo hi", "what is the system load?", "/deploy now"])
      expect(parseConsoleLine(line)).toBeUndefined();
  });
});
