// The Inspector: a team's actors, events, snapshots and runtime events in one ordered record
// stream, written to a JSONL trace and read back, with bad lines reported and big values cut.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assign, createActor, fromPromise, setup } from "xstate";
import type { AgentMachineInput } from "../agent/AgentContext.ts";
import { defineAgent } from "../agent/defineAgent.ts";
import { EventBus } from "../events/EventBus.ts";
import { createSupervisor } from "../supervisor/Team.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";
import { applyRecord, createReplayState } from "./graph/replay.ts";
import { createInspector, type Inspector } from "./Inspector.ts";
import { MalformedTraceError, type MalformedTraceLine, readTrace } from "./readTrace.ts";
import { recordTrace } from "./recordTrace.ts";
import { redactTraceValue } from "./redactTraceValue.ts";
import { recordTaskIo } from "./replay/recordTaskIo.ts";
import type { TraceRecord, TraceRecordKind, TraceRecordOf } from "./TraceRecord.ts";

const ofKind = <K extends TraceRecordKind>(records: readonly TraceRecord[], kind: K) =>
  records.filter((record): record is TraceRecordOf<K> => record.kind === kind);

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
};

/** A team of one echo agent that runs one task with the inspector watching it and its bus. */
const runOneTask = async (inspector: Inspector) => {
  const echo = defineAgent({ name: "echo", handle: async (task) => `echo ${task.text}` });
  const bus = new EventBus();
  inspector.attach(bus);
  const team = createSupervisor({ agents: [echo], bus, inspect: inspector.inspect });
  const output = await team.ask(echo, "hello").result;
  team.stop();
  return output;
};

describe("Inspector", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "troupe-inspect-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("records the supervisor's and agent's actors, events, snapshots and runtime events in seq order", async () => {
    const inspector = createInspector();
    expect(await runOneTask(inspector)).toBe("echo hello");
    const records = inspector.records();

    expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
    expect(records.every((record) => record.v === 1)).toBe(true);

    const actors = ofKind(records, "actor");
    const supervisor = actors.find((actor) => actor.machine === "supervisor")!;
    const agent = actors.find((actor) => actor.machine === "agent")!;
    expect(supervisor).toMatchObject({ parent: null, root: supervisor.actor });
    expect(agent).toMatchObject({ id: "echo#1", parent: supervisor.actor, root: supervisor.actor });
    // A plain agent's handler runs with no actor of its own; its outcome is the host's own event.
    expect(actors.filter((actor) => actor.machine === null)).toEqual([]);

    const events = ofKind(records, "event");
    // Tasks reach the agent straight from the supervisor's core (no supervisor macrostep per task).
    const assigned = events.find((event) => event.type === "troupe.task.assign")!;
    expect(assigned).toMatchObject({ target: agent.actor });
    expect(assigned.event).toMatchObject({ task: { text: "hello" }, signal: "[object AbortSignal]" });

    const snapshots = ofKind(records, "snapshot");
    expect(snapshots.find((snapshot) => snapshot.actor === supervisor.actor)).toMatchObject({
      status: "active",
      context: { core: "[object SupervisorCore]" },
    });
    // The host's context is plumbing (its port, handler, signal and the task): left out of its snapshots.
    const working = snapshots.find(
      (snapshot) => snapshot.actor === agent.actor && snapshot.cause === "troupe.task.assign",
    )!;
    expect(working).toMatchObject({ value: { busy: "working" } });
    expect(working).not.toHaveProperty("context");
    expect(events.find((event) => event.type === "troupe.task.done")).toMatchObject({
      target: agent.actor,
      event: { taskId: (assigned.event as { task: { id: string } }).task.id, output: "echo hello" },
    });
    expect(snapshots.at(-1)).toMatchObject({ actor: supervisor.actor, status: "done", value: "stopped" });

    // The transitions a macrostep took go on the snapshot that ends it (no microstep records).
    expect(ofKind(records, "microstep")).toEqual([]);
    expect(
      snapshots.find((snapshot) => snapshot.actor === agent.actor && snapshot.cause === "troupe.task.assign"),
    ).toMatchObject({
      transitions: [{ source: "agent.idle", targets: ["agent.busy"], eventType: "troupe.task.assign" }],
    });

    const runtime = ofKind(records, "runtime").map((record) => record.event.type);
    expect(runtime).toEqual(
      expect.arrayContaining([
        "agent.started",
        "task.queued",
        "task.claimed",
        "task.started",
        "task.succeeded",
      ]),
    );
    const seqOf = (predicate: (record: TraceRecord) => boolean) => records.find(predicate)!.seq;
    expect(seqOf((record) => record.kind === "runtime" && record.event.type === "task.queued")).toBeLessThan(
      seqOf((record) => record.kind === "event" && record.type === "troupe.task.assign"),
    );
    expect(seqOf((record) => record.kind === "runtime" && record.event.type === "task.queued")).toBeLessThan(
      seqOf((record) => record.kind === "runtime" && record.event.type === "task.succeeded"),
    );
  });

  it("writes a task whole once, in its io record, and refers to it by id in the event that carries it", async () => {
    const inspector = createInspector();
    const echo = defineAgent({ name: "echo", handle: async (task) => `echo ${task.text}` });
    const team = createSupervisor({ agents: [echo], io: recordTaskIo(inspector).io });
    inspector.attachTeam(team);
    const { id, result } = team.ask(echo, "hello");
    await result;
    team.stop();
    const records = inspector.records();
    const accepted = ofKind(records, "io").find((io) => io.port === "task")!;
    expect(accepted.request).toMatchObject({ task: { id, text: "hello", attempt: 1 } });
    const assigned = ofKind(records, "event").find((event) => event.type === "troupe.task.assign")!;
    expect(assigned.event).toEqual({
      type: "troupe.task.assign",
      task: { id, $ref: "io:task" },
      signal: "[object AbortSignal]",
    });
  });

  it("records microsteps and the promise actors a machine agent invokes when asked", async () => {
    const inspector = createInspector({ microsteps: true, nonMachineActors: true });
    const doubler = defineAgent({
      name: "doubler",
      machine: setup({
        types: {} as { input: AgentMachineInput; context: { text: string }; output: string },
        actors: { double: fromPromise(async ({ input }: { input: string }) => `${input} ${input}`) },
      }).createMachine({
        context: ({ input }) => ({ text: input.task.text }),
        initial: "doubling",
        states: {
          doubling: {
            invoke: {
              id: "double",
              src: "double",
              input: ({ context }) => context.text,
              onDone: "done",
            },
          },
          done: { type: "final" },
        },
        output: () => "doubled",
      }),
    });
    const team = createSupervisor({ agents: [doubler], inspect: inspector.inspect });
    expect(await team.ask(doubler, "hello").result).toBe("doubled");
    team.stop();
    const records = inspector.records();
    const agent = ofKind(records, "actor").find((actor) => actor.machine === "agent")!;
    const run = ofKind(records, "actor").find((actor) => actor.parent === agent.actor)!;
    expect(run).toMatchObject({ id: "task" });
    const step = ofKind(records, "actor").find((actor) => actor.parent === run.actor)!;
    expect(step).toMatchObject({ id: "double", machine: null });
    expect(
      ofKind(records, "snapshot").find(
        (snapshot) => snapshot.actor === step.actor && snapshot.status === "done",
      ),
    ).toMatchObject({ output: "hello hello" });
    // The agent's own machine is its logic: its context is recorded; its host's plumbing is not.
    const snapshots = ofKind(records, "snapshot");
    expect(snapshots.find((snapshot) => snapshot.actor === run.actor)).toMatchObject({
      context: { text: "hello" },
    });
    expect(snapshots.filter((snapshot) => snapshot.actor === agent.actor && "context" in snapshot)).toEqual(
      [],
    );
    expect(ofKind(records, "microstep")).toContainEqual(
      expect.objectContaining({
        actor: agent.actor,
        cause: "troupe.task.assign",
        transitions: [{ source: "agent.idle", targets: ["agent.busy"], eventType: "troupe.task.assign" }],
      }),
    );
    expect(ofKind(records, "snapshot").some((snapshot) => snapshot.transitions !== undefined)).toBe(false);
  });

  it("records each agent's circuit breaker as a child of the supervisor, with its chart and every move", async () => {
    const inspector = createInspector();
    const flaky = scriptedAgent("flaky", [{ fail: "down" }, { fail: "down" }, { reply: "up" }], {
      breaker: { maxFailures: 2, resetAfter: "30s" },
    });
    const { team, advance } = createTestTeam({
      agents: [flaky],
      restart: { intensity: 100 },
      inspect: inspector.inspect,
    });
    inspector.attach(team.bus);
    for (const text of ["one", "two"])
      await expect(team.submit({ agent: "flaky", text }).result).rejects.toThrow(/down/);
    await advance(30_000);
    await expect(team.submit({ agent: "flaky", text: "probe" }).result).resolves.toBe("up");
    team.stop();

    const records = inspector.records();
    const supervisor = ofKind(records, "actor").find((actor) => actor.machine === "supervisor")!;
    const breaker = ofKind(records, "actor").find((actor) => actor.id === "flaky.breaker")!;
    expect(breaker).toMatchObject({ parent: supervisor.actor, machine: "breaker" });
    const chart = inspector.machines().find((machine) => machine.hash === breaker.graph)!;
    expect(chart.graph.machine).toBe("breaker");
    const moves = ofKind(records, "snapshot")
      .filter((snapshot) => snapshot.actor === breaker.actor && snapshot.status === "active")
      .filter((snapshot) => snapshot.transitions !== undefined)
      .map((snapshot) => [snapshot.cause, snapshot.value]);
    expect(moves).toEqual([
      ["failed", "closed"],
      ["failed", "open"],
      ["resetElapsed", { half_open: "waiting" }],
      ["dispatched", { half_open: "probing" }],
      ["succeeded", "closed"],
    ]);
    const opening = ofKind(records, "event").find(
      (event) => event.target === breaker.actor && event.type === "failed",
    )!;
    expect(opening.event).toMatchObject({ reason: expect.stringContaining("down") });
    // The runtime's own event says the same, after the breaker's snapshot that opened it.
    const opened = ofKind(records, "snapshot").find(
      (snapshot) => snapshot.actor === breaker.actor && snapshot.value === "open",
    )!;
    const changed = ofKind(records, "runtime").find((record) => record.event.type === "breaker.changed")!;
    expect(changed.event).toMatchObject({ agent: "flaky", from: "closed", to: "open" });
    expect(changed.seq).toBeGreaterThan(opened.seq);
  });

  it("shows a breaker that never moved as resting and closed, gives way to its actor at the first failure, and stops both with the team", async () => {
    const inspector = createInspector();
    const flaky = scriptedAgent("flaky", [{ fail: "down" }], { breaker: { maxFailures: 2 } });
    const steady = scriptedAgent("steady", [{ reply: "ok" }]);
    const { team } = createTestTeam({ agents: [flaky, steady], restart: { intensity: 100 } });
    inspector.attachTeam(team);
    const supervisor = team.actor.sessionId;
    // What the visualizer's tree shows: the replay fold of the records so far.
    const tree = () => {
      const state = createReplayState();
      for (const record of inspector.records()) applyRecord(state, record);
      return Object.values(state.actors)
        .filter((actor) => actor.machine === "breaker")
        .map(({ id, parent, resting, value }) => ({ id, parent, resting: resting ?? false, value }))
        .sort((a, b) => a.id.localeCompare(b.id));
    };
    expect(tree()).toEqual([
      { id: "flaky.breaker", parent: supervisor, resting: true, value: "closed" },
      { id: "steady.breaker", parent: supervisor, resting: true, value: "closed" },
    ]);
    const resting = ofKind(inspector.records(), "actor").find((actor) => actor.id === "flaky.breaker")!;
    expect(resting).toMatchObject({ actor: `${supervisor}/flaky.breaker`, resting: true });
    expect(inspector.machines().find((machine) => machine.hash === resting.graph)?.machine).toBe("breaker");

    await expect(team.submit({ agent: "flaky", text: "x" }).result).rejects.toThrow(/down/);
    expect(tree()).toEqual([
      { id: "flaky.breaker", parent: supervisor, resting: false, value: "closed" },
      { id: "steady.breaker", parent: supervisor, resting: true, value: "closed" },
    ]);
    const started = ofKind(inspector.records(), "actor").find(
      (actor) => actor.id === "flaky.breaker" && !actor.resting,
    )!;
    expect(ofKind(inspector.records(), "event").filter((event) => event.target === started.actor)).toEqual([
      expect.objectContaining({ type: "xstate.init" }),
      expect.objectContaining({ type: "failed" }),
    ]);
    // An inspector attached now finds the breaker's actor, and the other still resting.
    const late = createInspector();
    late.attachTeam(team);
    expect(ofKind(late.records(), "actor").map(({ id, resting }) => [id, resting ?? false])).toEqual(
      expect.arrayContaining([
        ["flaky.breaker", false],
        ["steady.breaker", true],
      ]),
    );

    team.stop();
    expect(tree()).toEqual([]);
  });

  it("writes a plain agent's usual host steps as short pack entries that read back as the records subscribers saw", async () => {
    const inspector = createInspector({ redact: redactTraceValue });
    const seen: TraceRecord[] = [];
    inspector.subscribe((record) => seen.push(JSON.parse(JSON.stringify(record)) as TraceRecord));
    const path = join(dir, "plain.jsonl");
    const recording = recordTrace(inspector, path);
    const echo = defineAgent({
      name: "echo",
      handle: async (task, ctx) => {
        if (task.text === "fail") throw new Error("down");
        if (task.text === "ask") return ctx.askHuman("ok?");
        return task.text === "quiet" ? undefined : { said: task.text };
      },
    });
    const team = createSupervisor({
      agents: [echo],
      io: recordTaskIo(inspector).io,
      human: { ask: async () => "yes" } as never,
    });
    inspector.attachTeam(team);
    await team.ask(echo, "hello").result;
    await team.ask(echo, "quiet").result;
    await team.ask(echo, "ask").result;
    await expect(team.ask(echo, "fail").result).rejects.toThrow(/down/);
    team.stop();
    await recording.close();
    // (A supervision record may follow once the file is closed: the comparison stops at the file's end.)
    const read = await collect(readTrace(path));
    expect(read.length).toBeGreaterThanOrEqual(seen.length - 1);
    expect(read).toEqual(seen.slice(0, read.length));
    const entries = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { kind: string; records?: unknown[][] })
      .flatMap((line) => (line.kind === "pack" ? line.records! : []));
    const tags = new Set(entries.map((entry) => entry[1]));
    for (const tag of [4, 5, 6]) expect(tags).toContain(tag);
    const host = ofKind(seen, "snapshot").filter((snapshot) => snapshot.cause.startsWith("troupe."));
    expect(host.map((snapshot) => snapshot.value)).toEqual(
      expect.arrayContaining([{ busy: "awaitingHuman" }, { busy: "working" }, "idle"]),
    );
  });

  it("hands each record to subscribers as it is made and keeps only `capacity` in the ring", async () => {
    const inspector = createInspector({ capacity: 5 });
    const seen: number[] = [];
    inspector.subscribe((record) => seen.push(record.seq));
    await runOneTask(inspector);
    expect(seen.length).toBeGreaterThan(5);
    expect(inspector.records().map((record) => record.seq)).toEqual(seen.slice(-5));
  });

  it("writes a JSONL trace that reads back through readTrace, record for record", async () => {
    const inspector = createInspector();
    const path = join(dir, "run.jsonl");
    const recording = recordTrace(inspector, path);
    await runOneTask(inspector);
    await recording.close();
    expect(await collect(readTrace(path))).toEqual(inspector.records());
    // The records of a turn share a pack line: fewer lines than records, each a whole line.
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines.length).toBeLessThan(inspector.records().length);
    expect(lines.some((line) => JSON.parse(line).kind === "pack")).toBe(true);
    // A trace holds task text: the file is its owner's only.
    if (process.platform !== "win32") expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("writes to a caller's Writable, leaving it open, and rejects close() with a write error", async () => {
    const inspector = createInspector();
    await runOneTask(inspector);
    const sink = new PassThrough();
    const written = text(sink);
    await recordTrace(inspector, sink).close();
    expect(sink.writableEnded).toBe(false);
    sink.end();
    const lines = (await written).trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line).seq)).toEqual(
      inspector.records().map((record) => record.seq),
    );

    const nowhere = recordTrace(inspector, join(dir, "no", "such", "dir", "run.jsonl"));
    await expect(nowhere.close()).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("reports a malformed line with its line number and still reads the rest", async () => {
    const inspector = createInspector();
    await runOneTask(inspector);
    const first = ofKind(inspector.records(), "actor")[0]!;
    const second = ofKind(inspector.records(), "runtime")[0]!;
    const path = join(dir, "broken.jsonl");
    await writeFile(
      path,
      [
        JSON.stringify(first),
        "{ not json",
        JSON.stringify({ ...second, v: 2 }),
        JSON.stringify({ ...first, id: 42 }),
        "",
        JSON.stringify(second),
      ].join("\n"),
    );

    const problems: MalformedTraceLine[] = [];
    const records = await collect(readTrace(path, { onMalformed: (problem) => problems.push(problem) }));
    expect(records).toEqual([first, second]);
    expect(problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
    expect(problems[0]!.message).toMatch(/not JSON/);
    expect(problems[1]!.message).toMatch(/unsupported trace format version 2/);
    expect(problems[2]!.message).toBe('Expected string at ["id"]');

    const read: TraceRecord[] = [];
    const failure = await (async () => {
      for await (const record of readTrace(path)) read.push(record);
    })().catch((error: unknown) => error);
    expect(read).toEqual([first, second]);
    expect(failure).toBeInstanceOf(MalformedTraceError);
    expect((failure as MalformedTraceError).lines.map((problem) => problem.line)).toEqual([2, 3, 4]);
    expect((failure as MalformedTraceError).message).toMatch(/line 2/);
  });

  it("cuts a huge context value down to about maxValueBytes and redacts by path", () => {
    const inspector = createInspector({
      maxValueBytes: 1_000,
      redact: (path, value) => (path.at(-1) === "apiKey" ? "[redacted]" : value),
    });
    const machine = setup({
      types: { context: {} as { apiKey: string; blob: string; rows: number[] } },
    }).createMachine({
      id: "hoarder",
      context: { apiKey: "sk-secret", blob: "", rows: [] },
      on: {
        fill: {
          actions: assign({
            blob: "x".repeat(1_000_000),
            rows: Array.from({ length: 100_000 }, (_, index) => index),
          }),
        },
      },
    });
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    actor.send({ type: "fill" });
    actor.stop();

    const filled = ofKind(inspector.records(), "snapshot").find((snapshot) => snapshot.cause === "fill")!;
    const context = filled.context as { apiKey: string; blob: string; rows: unknown[] };
    expect(JSON.stringify(context).length).toBeLessThan(1_200);
    expect(context.apiKey).toBe("[redacted]");
    expect(context.blob).toMatch(/…\[truncated \d+ chars\]$/);
    expect(JSON.stringify(filled)).not.toContain("sk-secret");
  });
});
