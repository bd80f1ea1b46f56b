// Pack lines round-trip: the records a pack line expands into are the records a line of their own
// each would read back as — for generated ids, times, odd strings (quotes, escapes, lone surrogates,
// line breaks) and every entry form, shaped or not — and a damaged pack line is reported, not guessed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTraceLine } from "./readTrace.ts";
import {
  assignEntry,
  expandPackLine,
  hostStepEntry,
  type PackBody,
  packEntry,
  packLine,
  RUNTIME_SHAPES,
  settledEntry,
} from "./tracePack.ts";

const odd = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom('"', "\\", "\n", "\u2028", "\ud800", "}]", '","', "é🎭"),
);
const text = fc.oneof(fc.stringMatching(/^[a-z0-9.:-]{0,16}$/), odd);
const taskId = fc.oneof(fc.stringMatching(/^t-[0-9a-f]{12}$/), odd);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const primitive = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const json = fc.jsonValue({ maxDepth: 3 });

/** A runtime event of a packed shape: its fields, any primitive each (a shape is written as it is). */
const shapedEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .constantFrom(...Object.keys(RUNTIME_SHAPES))
  .chain((type) =>
    fc
      .tuple(...RUNTIME_SHAPES[type]!.map((key) => (key === "at" ? fc.maxSafeNat() : primitive)))
      .map((values) => ({
        type,
        ...Object.fromEntries(RUNTIME_SHAPES[type]!.map((key, index) => [key, values[index]])),
      })),
  );
/** Runtime events a shape does not fit: another type, a field more or less, a value that is not a primitive. */
const unshapedEvent = fc.oneof(
  fc.record({
    type: fc.constantFrom("task.failed", "breaker.changed"),
    taskId,
    at: fc.maxSafeNat(),
    error: json,
  }),
  shapedEvent.map((event) => ({ ...event, extra: 1 })),
  shapedEvent.map(({ at: _at, ...event }) => event),
  shapedEvent.map((event) => ({ ...event, agent: { name: "noop" } })),
  shapedEvent.map((event) => ({ ...event, at: 1.5 })),
);
const transition = fc.record(
  { source: text, targets: fc.array(text, { maxLength: 2 }), eventType: text },
  { requiredKeys: ["source", "targets"] },
);

const body: fc.Arbitrary<PackBody> = fc.oneof(
  fc.oneof(shapedEvent, unshapedEvent).map((event) => ({ kind: "runtime", event }) as unknown as PackBody),
  fc
    .record(
      {
        kind: fc.constant("snapshot" as const),
        actor: text,
        cause: text,
        status: fc.constantFrom("active" as const, "done" as const, "error" as const, "stopped" as const),
        value: json,
        context: json,
        output: json,
        transitions: fc.array(transition, { maxLength: 3 }),
      },
      { requiredKeys: ["kind", "actor", "cause", "status"] },
    )
    .map((snapshot) => snapshot as unknown as PackBody),
  fc
    .record({
      kind: fc.constant("event" as const),
      source: fc.option(text),
      target: text,
      type: text,
      event: json,
    })
    .map((event) => event as unknown as PackBody),
  fc
    .record(
      {
        kind: fc.constant("io" as const),
        taskId,
        agent: fc.option(text),
        port: fc.constantFrom("task" as const, "llm" as const, "outcome" as const),
        call: fc.nat(),
        request: json,
        reply: json,
        tokens: fc.array(odd, { maxLength: 3 }),
      },
      { requiredKeys: ["kind", "taskId", "agent", "port", "call", "request"] },
    )
    .map((io) => io as unknown as PackBody),
  fc
    .record({
      kind: fc.constant("approval" as const),
      taskId,
      agent: fc.option(text),
      question: odd,
      decision: fc.constant("approved" as const),
      by: fc.option(text),
    })
    .map((approval) => approval as PackBody),
);

/** What a record's own line reads back as: the record a pack's entry must expand into. */
const ownLine = (record: object): unknown => JSON.parse(JSON.stringify(record));

describe("pack lines", () => {
  it("expand into the very records each would read back as from a line of its own", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.array(fc.tuple(body, fc.integer({ min: -5_000, max: 5_000 })), { minLength: 1, maxLength: 20 }),
        (seq, start, items) => {
          let at = start;
          let previous = start;
          const entries: unknown[] = [];
          const expected: unknown[] = [];
          items.forEach(([item, step], index) => {
            at += step;
            entries.push(packEntry(item, at - previous, at));
            previous = at;
            expected.push(ownLine({ v: 1, seq: seq + index, at, ...item }));
          });
          const line = packLine(seq, start, entries);
          expect(line).not.toContain("\n");
          const expanded = expandPackLine(JSON.parse(line));
          expect(expanded.error).toBeUndefined();
          expect(expanded.records).toStrictEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("read back through the schema as records: a no-op task's records in one line", () => {
    const task = { id: "t-0a7825310df8", text: 'say "hi"\n', input: "ping", attempt: 1 };
    const bodies: PackBody[] = [
      { kind: "io", taskId: task.id, agent: null, port: "task", call: 1, request: { task, agent: "noop" } },
      {
        kind: "runtime",
        event: {
          type: "task.queued",
          taskId: task.id,
          agent: "noop",
          text: task.text,
          channel: null,
          parentTaskId: null,
          at: 1000,
        },
      },
      {
        kind: "event",
        source: null,
        target: "x:1",
        type: "troupe.task.assign",
        event: { type: "troupe.task.assign" },
      },
      {
        kind: "snapshot",
        actor: "x:1",
        cause: "troupe.task.assign",
        status: "active",
        value: { busy: "working" },
        transitions: [{ source: "agent.idle", targets: ["agent.busy"], eventType: "troupe.task.assign" }],
      },
      { kind: "runtime", event: { type: "agent.state", agent: "noop", state: "idle", at: 1003 } },
      {
        kind: "io",
        taskId: task.id,
        agent: "noop",
        port: "outcome",
        call: 1,
        request: null,
        reply: { ok: 1 },
      },
    ];
    const entries = bodies.map((item, index) => packEntry(item, index === 0 ? 0 : 1, 1000 + index));
    const decoded = decodeTraceLine(JSON.parse(packLine(7, 1000, entries)));
    expect(decoded.error).toBeUndefined();
    expect(decoded.records).toEqual(
      bodies.map((item, index) => ({ v: 1, seq: 7 + index, at: 1000 + index, ...item })),
    );
  });

  it("expand a plain agent host's short entries into its whole snapshot and event records", () => {
    const entries = [
      assignEntry(null, "x:1", "t-1"),
      hostStepEntry("x:1", "troupe.task.assign"),
      hostStepEntry("x:1", "troupe.human.asked"),
      settledEntry(null, "x:1", "troupe.task.done", "t-1", { said: "hi" }),
      settledEntry(null, "x:1", "troupe.task.error", "t-1", { name: "Error", message: "down" }),
      settledEntry(null, "x:1", "troupe.task.done", "t-1", undefined),
      hostStepEntry("x:1", "troupe.task.done"),
    ];
    const decoded = decodeTraceLine(JSON.parse(packLine(1, 100, entries)));
    expect(decoded.error).toBeUndefined();
    const head = (seq: number) => ({ v: 1, seq, at: 100 });
    const step = (source: string, target: string, eventType: string) => [
      { source, targets: [target], eventType },
    ];
    expect(decoded.records).toEqual([
      {
        ...head(1),
        kind: "event",
        source: null,
        target: "x:1",
        type: "troupe.task.assign",
        event: {
          type: "troupe.task.assign",
          task: { id: "t-1", $ref: "io:task" },
          signal: "[object AbortSignal]",
        },
      },
      {
        ...head(2),
        kind: "snapshot",
        actor: "x:1",
        cause: "troupe.task.assign",
        status: "active",
        value: { busy: "working" },
        transitions: step("agent.idle", "agent.busy", "troupe.task.assign"),
      },
      {
        ...head(3),
        kind: "snapshot",
        actor: "x:1",
        cause: "troupe.human.asked",
        status: "active",
        value: { busy: "awaitingHuman" },
        transitions: step("agent.busy.working", "agent.busy.awaitingHuman", "troupe.human.asked"),
      },
      {
        ...head(4),
        kind: "event",
        source: null,
        target: "x:1",
        type: "troupe.task.done",
        event: { type: "troupe.task.done", taskId: "t-1", output: { said: "hi" } },
      },
      {
        ...head(5),
        kind: "event",
        source: null,
        target: "x:1",
        type: "troupe.task.error",
        event: { type: "troupe.task.error", taskId: "t-1", error: { name: "Error", message: "down" } },
      },
      {
        ...head(6),
        kind: "event",
        source: null,
        target: "x:1",
        type: "troupe.task.done",
        event: { type: "troupe.task.done", taskId: "t-1" },
      },
      {
        ...head(7),
        kind: "snapshot",
        actor: "x:1",
        cause: "troupe.task.done",
        status: "active",
        value: "idle",
        transitions: step("agent.busy", "agent.idle", "troupe.task.done"),
      },
    ]);
    // A step the plain host's chart does not have is a damaged entry, not a guess.
    const unknown = decodeTraceLine(
      JSON.parse(packLine(1, 100, [hostStepEntry("x:1", "troupe.task.event")])),
    );
    expect(unknown.error).toMatch(/^pack entry 0: no plain host step/);
  });

  it("reports a damaged entry by its index, keeping the records before it", () => {
    const good = packEntry(
      { kind: "runtime", event: { type: "agent.state", agent: "a", state: "idle", at: 5 } },
      0,
      5,
    );
    for (const bad of ["x", [1], [0, "no.such.shape", 1], [0, "agent.state", "a"], [0, 9]]) {
      const decoded = decodeTraceLine(JSON.parse(packLine(3, 5, [good, bad])));
      expect(decoded.records.map((record) => record.seq)).toEqual([3]);
      expect(decoded.error).toMatch(/^pack entry 1/);
    }
    // A shaped entry whose values break the catalogue is refused by the schema, naming the field.
    const wrong = decodeTraceLine(JSON.parse(packLine(3, 5, [[0, "agent.state", "a", "dancing", 0]])));
    expect(wrong.records).toEqual([]);
    expect(wrong.error).toMatch(/^pack entry 0: .*state/);
    expect(decodeTraceLine({ v: 2, seq: 1, at: 0, kind: "pack", records: [] }).error).toMatch(/version 2/);
  });
});
