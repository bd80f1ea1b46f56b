// `troupe replay` on a task of an agent the host cannot build for a replay (a program's own agent):
// the divergence says why, instead of leaving a person to guess from a missing routing record.
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
