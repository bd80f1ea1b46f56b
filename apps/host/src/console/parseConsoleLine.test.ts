// What each console line asks for, and how a plain line finds a capability.
import { describe, expect, it } from "vitest";
import { needsOf, parseConsoleLine } from "./parseConsoleLine.ts";

describe("parseConsoleLine", () => {
  it("reads the slash commands", () => {
    expect(parseConsoleLine("  ")).toEqual({ kind: "empty" });
    expect(parseConsoleLine("/help")).toEqual({ kind: "help" });
    expect(parseConsoleLine("/AGENTS")).toEqual({ kind: "agents" });
    expect(parseConsoleLine("/status")).toEqual({ kind: "status" });
    expect(parseConsoleLine("/quit")).toEqual({ kind: "quit" });
    expect(parseConsoleLine("/ask echo  hello  world ")).toEqual({
      kind: "ask",
      agent: "echo",
      text: "hello  world",
    });
    expect(parseConsoleLine("/ask @system-monitor")).toEqual({
      kind: "ask",
      agent: "system-monitor",
      text: "",
    });
    expect(parseConsoleLine("/cancel t-123")).toEqual({ kind: "cancel", taskId: "t-123" });
    expect(parseConsoleLine("/retry t-456")).toEqual({ kind: "retry", taskId: "t-456" });
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
    expect(parseConsoleLine("/answer t-1")).toMatchObject({ kind: "error" });
    expect(parseConsoleLine("/deny")).toMatchObject({ kind: "error" });
    expect(parseConsoleLine("/vote t-1 2")).toEqual({ kind: "vote", taskId: "t-1", choice: 2 });
    expect(parseConsoleLine("/vote t-1 yes")).toMatchObject({ kind: "error" });
  });

  it("tells mentions from plain text", () => {
    expect(parseConsoleLine("@echo hi")).toEqual({ kind: "mention", agent: "echo", text: "@echo hi" });
    expect(parseConsoleLine("hello @echo")).toEqual({ kind: "text", text: "hello @echo" });
    expect(parseConsoleLine("@ nobody")).toEqual({ kind: "error", message: '"@" is not an agent name' });
  });

  it("explains malformed and unknown commands", () => {
    expect(parseConsoleLine("/deploy now")).toEqual({
      kind: "error",
      message: 'unknown command "/deploy": type /help to see the commands',
    });
    expect(parseConsoleLine("/ask")).toMatchObject({
      kind: "error",
      message: expect.stringContaining("/ask <agent>"),
    });
    expect(parseConsoleLine("/cancel")).toMatchObject({
      kind: "error",
      message: expect.stringContaining("/cancel <taskId>"),
    });
    expect(parseConsoleLine("/cancel a b")).toMatchObject({ kind: "error" });
    expect(parseConsoleLine("/retry")).toEqual({
      kind: "error",
      message: "/retry needs one task id: /retry <taskId>",
    });
  });
});

describe("needsOf", () => {
  const capabilities = new Set(["echo", "system", "monitor"]);
  it("needs the first capability the text names", () => {
    expect(needsOf("How is the System doing?", capabilities)).toEqual(["system"]);
    expect(needsOf("monitor the system", capabilities)).toEqual(["monitor"]);
    expect(needsOf("nothing in particular", capabilities)).toEqual([]);
  });
});
