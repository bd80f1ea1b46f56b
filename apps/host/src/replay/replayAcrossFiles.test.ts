// The replay line the host offers under a task's outcome runs as it reads, even when the trace
// folder rotated while the task ran: the command names the file the task's recording starts in, and
// `troupe replay` reads on into the next files up to its outcome, naming the actors from the
// checkpoint a rotated file starts with. A task its queue retried is read on past the outcome of the
// delivery that failed, to its last delivery's: the one replayed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  type AnyAgentDefinition,
  createInspector,
  createSupervisor,
  defineAgent,
  listTraceFiles,
  readTrace,
  redactTraceValue,
  type TraceRecord,
  TroupeError,
} from "@troupe/runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startHostRecording } from "../start/hostTrace.ts";
import { hostReplayTeam } from "./hostReplayTeam.ts";
import { replayCommand } from "./replayCommand.ts";
import { replayCommandLine } from "./replayCommandLine.ts";

/** A trace file's records (its pack lines expanded). */
const recordsOf = async (path: string): Promise<TraceRecord[]> => {
  const records: TraceRecord[] = [];
  for await (const record of readTrace(path)) records.push(record);
  return records;
};
const isOutcome = (record: TraceRecord): boolean => record.kind === "io" && record.port === "outcome";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = async (args: readonly string[], agents: readonly AnyAgentDefinition[] = []) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await replayCommand(args, { stdout, stderr, env: {} }, agents);
  return { code, stdout: String(stdout.read() ?? ""), stderr: String(stderr.read() ?? "") };
};

/**
 * Answers on the next turn of the event loop: the trace writer, whose flush was set for that turn
 * when the task was accepted, has written the task's start by then, so its outcome is in a later file.
 */
const nextTurn = defineAgent({
  name: "next-turn",
  handle: async (task) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return { text: task.text };
  },
});

describe("the replay command of a recorded task", () => {
  it("replays a task whose recording spans rotated trace files, from the file it names", async () => {
    dir = mkdtempSync(join(tmpdir(), "troupe-rotated-"));
    const inspector = createInspector({ redact: redactTraceValue });
    // A new file for every batch of records: the task's recording spans many.
    const recording = startHostRecording(inspector, { dir, retain: 1_000, maxFileBytes: 1 });
    const host = hostReplayTeam([]);
    const team = createSupervisor({
      ...host,
      agents: [...host.agents, nextTurn],
      inspect: inspector.inspect,
      io: recording.recorder.io,
    });
    const detach = inspector.attachTeam(team);
    // An earlier task, on disk before the next starts: the next one starts in a later file.
    await team.submit({ text: "an earlier task" }).result;
    await vi.waitFor(async () => {
      const written = await Promise.all((await listTraceFiles(dir)).map(recordsOf));
      expect(written.flat().some(isOutcome)).toBe(true);
    });
    const task = team.submit({ agent: "next-turn", text: "hello across files" });
    await expect(task.result).resolves.toEqual({ text: "hello across files" });
    detach();
    team.stop();
    await recording.stop();

    const command = recording.replayCommandOf(task.id);
    const file = /^troupe replay (\S+) --task (\S+)$/.exec(command ?? "");
    expect(file?.[2]).toBe(task.id);
    const files = await listTraceFiles(dir);
    expect(files.indexOf(file![1]!)).toBeGreaterThan(0);
    expect((await recordsOf(file![1]!)).some(isOutcome)).toBe(false);

    const replayed = await run([file![1]!, "--task", task.id], [nextTurn]);
    expect(replayed).toEqual({ code: 0, stdout: "identical: 1 task\n", stderr: "" });
    expect(recording.replayCommandOf("t-unknown")).toBeUndefined();
  });

  it("reads the records that follow a task's outcome from the next file when the folder rotated there", async () => {
    dir = mkdtempSync(join(tmpdir(), "troupe-rotated-"));
    const inspector = createInspector({ redact: redactTraceValue });
    const recording = startHostRecording(inspector, { dir, retain: 10 });
    const team = createSupervisor({
      ...hostReplayTeam([]),
      inspect: inspector.inspect,
      io: recording.recorder.io,
    });
    const detach = inspector.attachTeam(team);
    const task = team.submit({ text: "hello before the rotation" });
    await task.result;
    detach();
    team.stop();
    await recording.stop();
    // The folder rotates right after the outcome: the agent's way back to idle is in the next file.
    const [file] = await listTraceFiles(dir);
    const lines = (await recordsOf(file!)).map((record) => JSON.stringify(record));
    const outcome = (await recordsOf(file!)).findIndex(isOutcome);
    expect(lines.length).toBeGreaterThan(outcome + 1);
    writeFileSync(file!, `${lines.slice(0, outcome + 1).join("\n")}\n`);
    writeFileSync(file!.replace(/\.jsonl$/, "-1.jsonl"), `${lines.slice(outcome + 1).join("\n")}\n`);

    expect(await run([file!, "--task", task.id])).toEqual({
      code: 0,
      stdout: "identical: 1 task\n",
      stderr: "",
    });
  });

  it("reads a retried task on past its failed delivery, to its last delivery, which it replays", async () => {
    dir = mkdtempSync(join(tmpdir(), "troupe-rotated-"));
    let deliveries = 0;
    // Fails on its first delivery only (a replay of that delivery would succeed: it diverges).
    const flaky = defineAgent({
      name: "flaky",
      handle: async (task, ctx) => {
        const at = ctx.now();
        deliveries += 1;
        if (deliveries === 1) throw new TroupeError("ModelBusy", "the model is busy");
        return { text: task.text, at };
      },
    });
    const inspector = createInspector({ redact: redactTraceValue });
    const recording = startHostRecording(inspector, { dir, retain: 1_000, maxFileBytes: 1 });
    const host = hostReplayTeam([]);
    const team = createSupervisor({
      ...host,
      agents: [...host.agents, flaky],
      inspect: inspector.inspect,
      io: recording.recorder.io,
    });
    const detach = inspector.attachTeam(team);
    await recording.opened;
    const first = team.submit({ agent: "flaky", text: "hello again" });
    await expect(first.result).rejects.toMatchObject({ _tag: "ModelBusy" });
    // The file the failed delivery starts in (the host's line names the last delivery's own file).
    const file = /^troupe replay (\S+) --task/.exec(recording.replayCommandOf(first.id) ?? "")?.[1];
    // The durable worker's retry: announced, and meanwhile other work is recorded, then delivered again.
    team.bus.publish({ type: "task.retrying", taskId: first.id, agent: "flaky", attempt: 2, reason: "busy" });
    for (let i = 0; i < 3; i += 1) await team.submit({ text: `meanwhile ${i}` }).result;
    await vi.waitFor(async () => {
      const written = await Promise.all((await listTraceFiles(dir)).map(recordsOf));
      expect(written.flat().filter(isOutcome)).toHaveLength(4);
    });
    const again = team.submit({ id: first.id, agent: "flaky", text: "hello again" });
    await expect(again.result).resolves.toMatchObject({ text: "hello again" });
    detach();
    team.stop();
    await recording.stop();

    expect(file).toBeDefined();
    expect(recording.replayCommandOf(first.id)).not.toContain(file);
    expect(await run([file!, "--task", first.id], [flaky])).toEqual({
      code: 0,
      stdout: "identical: 1 task\n",
      stderr: "",
    });
  });

  it("quotes a trace path the shell would split", () => {
    expect(replayCommandLine("/data/traces/trace-20261207T134500Z.jsonl", "t-1")).toBe(
      "troupe replay /data/traces/trace-20261207T134500Z.jsonl --task t-1",
    );
    expect(replayCommandLine("/home/ana's data/trace.jsonl", "t-1")).toBe(
      "troupe replay '/home/ana'\\''s data/trace.jsonl' --task t-1",
    );
  });
});
