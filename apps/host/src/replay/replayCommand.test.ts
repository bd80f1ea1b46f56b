// `troupe replay` on a task of an agent the host cannot build for a replay (a program's own agent):
// the divergence says why, instead of leaving a person to guess from a missing routing record. The
// host's recording names, for a subtask too, the root task and the file a replay starts from.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createInspector, createSupervisor, defineAgent, redactTraceValue } from "@troupe/runtime";
import { afterEach, expect, it } from "vitest";
import { startHostRecording } from "../start/hostTrace.ts";
import { hostReplayTeam } from "./hostReplayTeam.ts";
import { replayCommand } from "./replayCommand.ts";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mine = defineAgent({ name: "mine", handle: (task) => ({ text: task.text.toUpperCase() }) });

it("names an agent of the recorded team the host cannot build when its task diverges", async () => {
  dir = mkdtempSync(join(tmpdir(), "troupe-replay-own-"));
  const inspector = createInspector({ redact: redactTraceValue });
  const recording = startHostRecording(inspector, { dir, retain: 10 });
  const host = hostReplayTeam([]);
  const team = createSupervisor({
    ...host,
    agents: [...host.agents, mine],
    inspect: inspector.inspect,
    io: recording.recorder.io,
  });
  const detach = inspector.attachTeam(team);
  const task = team.submit({ agent: "mine", text: "shout" });
  await expect(task.result).resolves.toEqual({ text: "SHOUT" });
  detach();
  team.stop();
  await recording.stop();
  const [, file] = /^troupe replay (\S+) --task/.exec(recording.replayCommandOf(task.id) ?? "") ?? [];

  const stdout = new PassThrough();
  const code = await replayCommand([file!, "--task", task.id], {
    stdout,
    stderr: new PassThrough(),
    env: {},
  });
  expect(code).toBe(1);
  const printed = String(stdout.read() ?? "");
  expect(printed).toMatch(/^diverged: task t-[0-9a-f]+, actor mine/);
  expect(printed).toContain('note: agent "mine" is not one this host can build for a replay');

  // Given the agent, as a program's own replay does, the same trace replays identically.
  const again = new PassThrough();
  expect(
    await replayCommand([file!, "--task", task.id], { stdout: again, stderr: new PassThrough(), env: {} }, [
      mine,
    ]),
  ).toBe(0);
  expect(String(again.read())).toBe("identical: 1 task\n");
});

it("names the root task and its trace file for a subtask (the live page's replay from here)", async () => {
  dir = mkdtempSync(join(tmpdir(), "troupe-replay-target-"));
  const inspector = createInspector({ redact: redactTraceValue });
  const recording = startHostRecording(inspector, { dir, retain: 10 });
  await recording.opened;
  const lead = defineAgent({
    name: "lead",
    handle: async (task, ctx) => ctx.delegate({ agent: "mine", text: task.text }),
  });
  const host = hostReplayTeam([]);
  const team = createSupervisor({
    ...host,
    agents: [...host.agents, lead, mine],
    inspect: inspector.inspect,
    io: recording.recorder.io,
  });
  const subtasks: string[] = [];
  team.bus.subscribe((event) => {
    if (event.type === "task.queued" && event.parentTaskId !== null) subtasks.push(event.taskId);
  });
  const task = team.submit({ agent: "lead", text: "delegated" });
  await expect(task.result).resolves.toEqual({ text: "DELEGATED" });
  team.stop();
  await recording.stop();
  const [, file] = /^troupe replay (\S+) --task/.exec(recording.replayCommandOf(task.id) ?? "") ?? [];
  expect(file).toBeDefined();
  expect(subtasks).toHaveLength(1);
  expect(recording.replayTargetOf(task.id)).toEqual({ rootTaskId: task.id, file });
  expect(recording.replayTargetOf(subtasks[0]!)).toEqual({ rootTaskId: task.id, file });
  expect(recording.replayCommandOf(subtasks[0]!)).toBeUndefined();
  expect(recording.replayTargetOf("t-elsewhere")).toBeUndefined();
});
