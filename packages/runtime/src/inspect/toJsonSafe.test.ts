// The trace serializer: whatever an actor holds becomes bounded JSON without walking into class
// instances, following cycles or throwing.
import { describe, expect, it } from "vitest";
import { createActor, createMachine } from "xstate";
import { TroupeError } from "../errors/TroupeError.ts";
import { toJsonSafe } from "./toJsonSafe.ts";

const safe = (value: unknown, maxBytes = 10_000) => toJsonSafe(value, ["value"], { maxBytes });

class Engine {
  readonly secret = "do not walk into me";
}

describe("toJsonSafe", () => {
  it("tags functions, signals, class instances and actors instead of walking into them", () => {
    const actor = createActor(createMachine({ id: "idle" }));
    expect(
      safe({
        run: function run() {},
        arrow: () => 1,
        signal: new AbortController().signal,
        engine: new Engine(),
        map: new Map([[1, 2]]),
        actor,
      }),
    ).toEqual({
      run: "[function run]",
      arrow: "[function arrow]",
      signal: "[object AbortSignal]",
      engine: "[object Engine]",
      map: "[object Map]",
      actor: `[actor ${actor.sessionId}]`,
    });
  });

  it("writes an object already written elsewhere as what `refer` gives for it, wherever it sits", () => {
    const task = { id: "t-1", text: "a long prompt" };
    const refer = (value: object) => (value === task ? { id: task.id, $ref: "io:task" } : undefined);
    expect(
      toJsonSafe({ type: "assign", task, copy: { ...task }, list: [task] }, ["event"], {
        maxBytes: 10_000,
        refer,
      }),
    ).toEqual({
      type: "assign",
      task: { id: "t-1", $ref: "io:task" },
      copy: { id: "t-1", text: "a long prompt" },
      list: [{ id: "t-1", $ref: "io:task" }],
    });
  });

  it("cuts cycles, keeps shared branches, drops undefined and stringifies what JSON cannot hold", () => {
    const shared = { n: 1 };
    const looped: Record<string, unknown> = { shared, again: shared, list: [shared, undefined] };
    looped.self = looped;
    expect(safe({ looped, big: 10n, nan: Number.NaN, sym: Symbol("s"), gone: undefined })).toEqual({
      looped: { shared: { n: 1 }, again: { n: 1 }, list: [{ n: 1 }, null], self: "[cycle]" },
      big: "10n",
      nan: "NaN",
      sym: "Symbol(s)",
    });
  });

  it("keeps what an error says, and a TroupeError's tag and data", () => {
    expect(safe(new TypeError("bad"))).toEqual({ name: "TypeError", message: "bad" });
    expect(safe(new TroupeError("NoRoute", "no agent", { data: { tried: ["a"] } }))).toEqual({
      name: "TroupeError(NoRoute)",
      message: "no agent",
      tag: "NoRoute",
      data: { tried: ["a"] },
    });
  });

  it("survives a throwing getter and a throwing redactor", () => {
    const hostile = {
      get boom(): never {
        throw new Error("no");
      },
    };
    expect(safe(hostile)).toEqual({ boom: "[unreadable]" });
    expect(
      toJsonSafe({ a: 1 }, ["value"], {
        maxBytes: 100,
        redact: () => {
          throw new Error("redactor broke");
        },
      }),
    ).toBe("[unserializable: redactor broke]");
  });

  it("holds long strings, arrays and objects near maxBytes with a marker saying how much was cut", () => {
    const cut = safe({ rows: Array.from({ length: 10_000 }, (_, index) => index), tail: "x" }, 200) as {
      rows: unknown[];
      "…"?: string;
    };
    expect(JSON.stringify(cut).length).toBeLessThan(300);
    expect(cut.rows.at(-1)).toMatch(/^…\[truncated \d+ more items\]$/);
    expect(cut["…"]).toBe("truncated 1 more keys");
    expect(safe("y".repeat(5_000), 100)).toMatch(/^y{98}…\[truncated 4902 chars\]$/);
  });

  it("passes each value and its path through redact", () => {
    const paths: string[] = [];
    const out = toJsonSafe({ user: { token: "t0k", name: "ann" } }, ["context"], {
      maxBytes: 1_000,
      redact: (path, value) => {
        paths.push(path.join("."));
        return path.at(-1) === "token" ? "[redacted]" : value;
      },
    });
    expect(out).toEqual({ user: { token: "[redacted]", name: "ann" } });
    expect(paths).toEqual(["context", "context.user", "context.user.token", "context.user.name"]);
  });
});
