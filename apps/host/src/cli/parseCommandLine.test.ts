// The command line of `troupe`: commands, options per command, and one-line errors.
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "./parseCommandLine.ts";

const reasonOf = (args: string[]) => {
  try {
    parseCommandLine(args);
  } catch (error) {
    return (error as { _tag?: string; reason?: string })._tag === "InvalidCommand"
      ? (error as { reason: string }).reason
      : `unexpected ${String(error)}`;
  }
  return "no error";
};

describe("parseCommandLine", () => {
  it("runs start by default, with its options", () => {
    expect(parseCommandLine([])).toEqual({ command: "start", options: {} });
    expect(parseCommandLine(["--port", "0"])).toMatchObject({ command: "start", options: { port: "0" } });
    expect(
      parseCommandLine([
        "start",
        "--host=0.0.0.0",
        "--port",
        "9000",
        "--log-level",
        "debug",
        "--drain-timeout",
        "5s",
      ]),
    ).toEqual({
      command: "start",
      options: { host: "0.0.0.0", port: "9000", logLevel: "debug", drainTimeout: "5s" },
    });
  });

  it("finds help in every spelling", () => {
    expect(parseCommandLine(["--help"])).toEqual({ command: "help", topic: "main" });
    expect(parseCommandLine(["-h"])).toEqual({ command: "help", topic: "main" });
    expect(parseCommandLine(["help"])).toEqual({ command: "help", topic: "main" });
    expect(parseCommandLine(["help", "start"])).toEqual({ command: "help", topic: "start" });
    expect(parseCommandLine(["start", "--help"])).toEqual({ command: "help", topic: "start" });
    expect(parseCommandLine(["start", "-h", "--port", "1"])).toEqual({ command: "help", topic: "start" });
    expect(parseCommandLine(["--version"])).toEqual({ command: "version" });
  });

  it("refuses what it does not know, in one line", () => {
    expect(reasonOf(["--frobnicate"])).toBe('unknown option "--frobnicate"');
    expect(reasonOf(["start", "-x"])).toBe('unknown option "-x"');
    expect(reasonOf(["deploy"])).toBe('unknown command "deploy"');
    expect(reasonOf(["start", "now"])).toBe('unexpected argument "now"');
    expect(reasonOf(["start", "--version"])).toBe('option "--version" does not apply to "troupe start"');
    expect(reasonOf(["help", "deploy"])).toBe('no help for unknown command "deploy"');
  });

  it("says which option lacks its value", () => {
    expect(reasonOf(["--port"])).toBe('option "--port" needs a value');
    expect(reasonOf(["--port", "--help"])).toBe('option "--port" needs a value');
    expect(reasonOf(["--help=yes"])).toBe('option "--help" takes no value');
  });
});
