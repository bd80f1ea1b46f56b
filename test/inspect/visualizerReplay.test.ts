// Deterministic replay in the visualizer (issue 19), in Debian's Chromium through playwright-core.
// Through the real CLI: `troupe replay` of a trace whose recorded prompt is not today's prints the
// command that opens the divergence; that command's page lands on the divergent record, marked on
// the timeline, with research selected and expected against got; its "replay from here" commands
// are copied with their buttons and run as they read — the fork goes live on the Ollama stand-in.
// On a rotated trace folder, a task's record in a later file offers the command naming the file
// the task started in, which replays it identically; its subtask's records offer the same command.
// A task replayed across a host restart is shown on the run that made its last attempt. A replay that matches says so in the header;
// --task without --replay, or a task the trace lacks, is refused. The live page of `troupe start`
// offers the same commands for a task it ran, naming the trace file the host records it in; the
// plain one, copied, replays the task identically once the host stopped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  createInspector,
  createSupervisor,
  defineAgent,
  listTraceFiles,
  redactTraceValue,
  type TraceRecord,
} from "@troupe/runtime";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { inspectCommand } from "../../apps/host/src/inspect/inspectCommand.ts";
import { runInspect } from "../../apps/host/src/inspect/runInspect.ts";
import { hostReplayTeam } from "../../apps/host/src/replay/hostReplayTeam.ts";
import { replayCommand } from "../../apps/host/src/replay/replayCommand.ts";
import { startHostRecording } from "../../apps/host/src/start/hostTrace.ts";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { CHROMIUM_LAUNCH_MS, launchChromium } from "../harness/chromium.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { researchReply } from "../harness/researchReplies.ts";
import { recordResearchTrace, withChangedPrompt } from "../harness/researchTrace.ts";
import { traceRecordsOf, writeTraceRecords } from "../harness/traceRecords.ts";

/** Whether `record` is the task.started of task `id`. */
const isStartOf = (record: TraceRecord, id: string): boolean =>
  record.kind === "runtime" && record.event.type === "task.started" && record.event.taskId === id;

let context: BrowserContext;
let profile: string;
const folders: string[] = [];
/** Errors thrown in the pages; none is expected. */
const pageErrors: string[] = [];

const folder = (prefix: string) => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  folders.push(path);
  return path;
};

const openPage = async (url: string): Promise<Page> => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
  await page.goto(url);
  await page.waitForSelector("body[data-loaded]");
  return page;
};

/** The command shown in the Details panel ("fork" or "replay"), as its Copy button copies it. */
const copied = async (page: Page, name: "fork" | "replay") => {
  const shown = await page.textContent(`#details .command[data-command="${name}"] code`);
  await page.click(`#details .command[data-command="${name}"] button.copy`);
  await page.waitForSelector(`#details .command[data-command="${name}"] button.copy:has-text("Copied")`);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);
  return shown!;
};

beforeAll(async () => {
  profile = folder("troupe-chromium-");
  context = await launchChromium(profile);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
}, CHROMIUM_LAUNCH_MS + 30_000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await context?.close();
  for (const path of folders.splice(0)) rmSync(path, { recursive: true, force: true });
});

describe("replay in the visualizer", () => {
  it("opens a divergence from troupe replay's command, and forks live from it", async () => {
    const dataDir = folder("troupe-inspect-replay-");
    const trace = await recordResearchTrace(dataDir);
    const changed = join(dataDir, "changed.jsonl");
    withChangedPrompt(trace, changed, "You are an old research prompt.");

    const replay = spawnTroupe(["replay", changed], { OLLAMA_HOST: "http://127.0.0.1:9" });
    expect(await replay.exited).toBe(1);
    const [, task, at] = /^diverged: task (t-\w+), actor research, seq 1 \(llm, trace record (\d+)\)$/.exec(
      replay.stdout[0]!,
    )!;
    const offered = /^see it in the visualizer: (troupe inspect .+)$/.exec(replay.stdout.at(-1)!)![1]!;
    expect(offered).toBe(`troupe inspect ${changed} --replay --task ${task}`);

    const inspect = spawnTroupe(offered.split(" ").slice(1), { OLLAMA_HOST: "http://127.0.0.1:9" });
    try {
      const address = /^open (\S+)$/.exec(await inspect.line(/^open /))![1]!;
      expect(inspect.stdout).toContain(replay.stdout[0]);
      const page = await openPage(address);
      try {
        // Landed on the divergent record, marked, with research's chart and what differed.
        await page.waitForSelector(`.tl-row.diverged.current[data-seq="${at}"]`);
        expect(await page.textContent(`.tl-row.diverged[data-seq="${at}"] .type`)).toBe("io.llm");
        expect(await page.textContent("#replay-result")).toContain(`replay diverged at #${at}`);
        await page.waitForSelector('.tree-row.selected:has-text("research#1")');
        expect(await page.textContent("#chart-title")).toContain("research#1");
        const shown = await page.textContent("#details .divergence pre");
        expect(shown).toContain("at messages[0].content");
        expect(shown).toContain('expected: "You are an old research prompt."');
        expect(shown).toContain('got:      "You are a careful researcher.');
        await page.screenshot({
          path: join(import.meta.dirname, "../../test-results/inspect-divergence.png"),
        });

        // Replay from here: the fork from the divergent record, run as copied, goes live there.
        const fork = await copied(page, "fork");
        expect(fork).toBe(`troupe replay ${changed} --task ${task} --until ${at} --live`);
        expect(await copied(page, "replay")).toBe(`troupe replay ${changed} --task ${task}`);
        const ollama = await startOllamaStandIn({ defaultReply: researchReply });
        try {
          const forked = spawnTroupe(fork.split(" ").slice(1), {
            OLLAMA_HOST: ollama.url,
            TROUPE_DATA_DIR: dataDir,
          });
          expect(await forked.exited).toBe(0);
          expect(forked.stdout[0]).toBe(
            `forked: task ${task} went live at its llm call 1 (replayed up to trace record ${at})`,
          );
          expect(forked.stdout[1]).toMatch(/^succeeded: \{"question":"why is the sky blue"/);
        } finally {
          await ollama.close();
        }
      } finally {
        await page.close();
      }
    } finally {
      inspect.child.kill("SIGTERM");
      expect(await inspect.exited).toBe(0);
    }
  }, 90_000);

  it("offers a task's replay from a later file of a rotated folder, naming the file it started in", async () => {
    const dir = folder("troupe-inspect-rotated-");
    const inspector = createInspector({ redact: redactTraceValue });
    // A new file for every batch of records, and an agent that waits until its task's start is on
    // disk: the task's later records are in later files.
    const recording = startHostRecording(inspector, { dir, retain: 1_000, maxFileBytes: 1 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // It hands part of its task to echo: a subtask, started in the later files too.
    const gated = defineAgent({
      name: "gated",
      handle: async (task, ctx) => {
        await gate;
        return ctx.delegate({ text: `${task.text}, in part`, agent: "echo" });
      },
    });
    const team = createSupervisor({
      ...hostReplayTeam(["gated"], [gated]),
      inspect: inspector.inspect,
      io: recording.recorder.io,
    });
    const detach = inspector.attachTeam(team);
    const task = team.submit({ text: "hello across files", agent: "gated" });
    await vi.waitFor(async () => {
      const written = (await listTraceFiles(dir)).flatMap(traceRecordsOf);
      expect(written.some((record) => isStartOf(record, task.id))).toBe(true);
    });
    open();
    await task.result;
    detach();
    team.stop();
    await recording.stop();
    const files = await listTraceFiles(dir);
    const holding = (holds: (record: TraceRecord) => boolean) =>
      files.find((file) => traceRecordsOf(file).some(holds))!;
    const started = holding(
      (record) => record.kind === "io" && record.port === "task" && record.taskId === task.id,
    );
    const ended = holding(
      (record) =>
        record.kind === "runtime" &&
        record.event.type === "task.succeeded" &&
        record.event.taskId === task.id,
    );
    expect(files.indexOf(ended)).toBeGreaterThan(files.indexOf(started));

    const stdout = new PassThrough();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let printed = "";
    stdout.on("data", (chunk) => {
      printed += String(chunk);
    });
    const running = runInspect(
      { trace: ended, host: "127.0.0.1", port: 0 },
      { stdin: new PassThrough(), stdout, stderr: new PassThrough(), stopped },
    );
    try {
      await vi.waitFor(() => expect(printed).toMatch(/open \S+/));
      const page = await openPage(/open (\S+)/.exec(printed)![1]!);
      try {
        await page.fill("#filter-task", task.id);
        await page.click('.tl-row:has-text("task.succeeded")');
        await page.waitForSelector(`#details .replay-here h3:has-text("task ${task.id}")`);
        const command = await copied(page, "replay");
        expect(command).toBe(`troupe replay ${started} --task ${task.id}`);
        // A record of the subtask offers the same tree: its root, from the file the root started in.
        const subtask = files
          .flatMap(traceRecordsOf)
          .find(
            (record) =>
              record.kind === "io" &&
              record.port === "task" &&
              (record.request as { task: { parentTaskId?: string } }).task.parentTaskId === task.id,
          );
        const subtaskId = subtask?.kind === "io" ? subtask.taskId : undefined;
        expect(subtaskId).toBeDefined();
        await page.fill("#filter-task", subtaskId!);
        await page.click('.tl-row:has-text("task.succeeded")');
        await page.waitForSelector(
          `#details .replay-here h3:has-text("task ${subtaskId} (a subtask of ${task.id}")`,
        );
        expect(await page.textContent('#details .command[data-command="replay"] code')).toBe(command);
        const out = new PassThrough();
        const code = await replayCommand(
          command.split(" ").slice(2),
          { stdout: out, stderr: new PassThrough(), env: {} },
          [gated],
        );
        expect({ code, printed: String(out.read()) }).toEqual({ code: 0, printed: "identical: 1 task\n" });
      } finally {
        await page.close();
      }
    } finally {
      stop();
      expect(await running).toBe(0);
    }
  });

  it("offers a task's replay commands on the host's live page, naming the trace file it records the task in", async () => {
    const dataDir = folder("troupe-inspect-live-");
    const offline = { OLLAMA_HOST: "http://127.0.0.1:9" };
    const troupe = spawnTroupe(["start"], { TROUPE_DATA_DIR: dataDir, ...offline });
    let commands: { fork: string; replay: string; seq: number };
    try {
      const { url } = (await troupe.log("http listening")) as { url: string };
      troupe.send("/ask echo hello live page");
      await troupe.line(/^hello live page$/);
      const offered = /^replay offline: (troupe replay (\S+) --task (t-\w+))$/.exec(
        await troupe.line(/^replay offline: /),
      )!;
      const [, line, file, task] = offered;
      const page = await openPage(`${url}/inspect`);
      try {
        await page.fill("#filter-task", task!);
        const row = page.locator('.tl-row:has-text("task.succeeded")');
        const seq = Number(await row.getAttribute("data-seq"));
        await row.click();
        await page.waitForSelector(`#details .replay-here h3:has-text("task ${task}")`);
        await page.waitForSelector('#details .command[data-command="fork"]');
        commands = { fork: await copied(page, "fork"), replay: await copied(page, "replay"), seq };
        expect(commands.fork).toBe(`${line} --until ${seq} --live`);
        expect(commands.replay).toBe(line);
      } finally {
        await page.close();
      }
      // A task this host did not record: nothing to replay, and the page is told why.
      const unknown = await fetch(`${url}/inspect/api/replay/t-elsewhere`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: string }).error).toMatch(
        /^task t-elsewhere is in none of this host's trace files/,
      );
      troupe.end();
      expect(await troupe.exited).toBe(0);
      // The record picked is the same record in the trace file.
      const picked = traceRecordsOf(file!).find((record) => record.seq === commands.seq);
      expect(picked).toMatchObject({ kind: "runtime", event: { type: "task.succeeded", taskId: task } });
    } finally {
      troupe.child.kill("SIGKILL");
      await troupe.exited;
    }
    const replayed = spawnTroupe(commands.replay.split(" ").slice(1), offline);
    expect(await replayed.exited).toBe(0);
    expect(replayed.stdout).toEqual(["identical: 1 task"]);
  });

  it("says an identical replay in the header, and refuses --task without --replay or a task not in the trace", async () => {
    const trace = join(import.meta.dirname, "../fixtures/traces/echo.jsonl");
    const inspect = async (args: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let printed = "";
      stdout.on("data", (chunk) => {
        printed += String(chunk);
      });
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const running = inspectCommand(args, { stdin: new PassThrough(), stdout, stderr, stopped });
      return { running, stop, printed: () => printed, stderr: () => String(stderr.read() ?? "") };
    };
    const identical = await inspect([trace, "--replay"]);
    await vi.waitFor(() => expect(identical.printed()).toMatch(/open \S+/));
    expect(identical.printed()).toContain("identical: 1 task\n");
    const page = await openPage(/open (\S+)/.exec(identical.printed())![1]!);
    try {
      expect(await page.textContent("#replay-result")).toBe("replay identical · 1 task");
      expect(await page.locator(".tl-row.diverged").count()).toBe(0);
    } finally {
      await page.close();
      identical.stop();
    }
    expect(await identical.running).toBe(0);

    const alone = await inspect([trace, "--task", "t-1"]);
    expect(await alone.running).toBe(2);
    expect(alone.stderr()).toMatch(/^troupe inspect: --task goes with --replay\n/);
    const missing = await inspect([trace, "--replay", "--task", "t-nope"]);
    expect(await missing.running).toBe(2);
    expect(missing.stderr()).toBe(
      "troupe inspect: task t-nope is not in the trace (no io record of it was recorded)\n",
    );
  });

  it("shows a task replayed across a restart on the run that made its last attempt", async () => {
    const dir = folder("troupe-inspect-restart-");
    /** One host start recording into `dir`: the task sent to an agent that answers or never does. */
    const start = async (answers: boolean, id?: string) => {
      const inspector = createInspector({ redact: redactTraceValue });
      const recording = startHostRecording(inspector, { dir, retain: 10 });
      const agent = defineAgent({
        name: "gated",
        handle: (task) => (answers ? Promise.resolve(task.text) : new Promise<never>(() => {})),
      });
      const team = createSupervisor({
        ...hostReplayTeam(["gated"], [agent]),
        inspect: inspector.inspect,
        io: recording.recorder.io,
      });
      const detach = inspector.attachTeam(team);
      const task = team.submit({ ...(id ? { id } : {}), text: "hello again", agent: "gated" });
      task.result.catch(() => {});
      if (answers) await task.result;
      else
        await vi.waitFor(async () => {
          const written = (await listTraceFiles(dir)).flatMap(traceRecordsOf);
          expect(written.some((record) => isStartOf(record, task.id))).toBe(true);
        });
      detach();
      team.stop();
      await recording.stop();
      return task.id;
    };
    // The first host stops mid-task; the second runs it again and answers.
    const taskId = await start(false);
    await start(true, taskId);
    const [first, second] = await listTraceFiles(dir);
    // The second host's recording says it answered something else than today's agent does.
    const recorded = traceRecordsOf(second!);
    const at = recorded.findIndex(
      (record) => record.kind === "io" && record.port === "outcome" && record.taskId === taskId,
    );
    const outcome = recorded[at] as { seq: number; reply: Record<string, unknown> };
    recorded[at] = { ...recorded[at]!, reply: { ...outcome.reply, output: "an older answer" } } as never;
    writeTraceRecords(second!, recorded);
    // What the page counts: every record but the machines' graphs.
    const records = recorded.filter((record) => record.kind !== "machine").length;

    const stdout = new PassThrough();
    let printed = "";
    stdout.on("data", (chunk) => {
      printed += String(chunk);
    });
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const answering = defineAgent({ name: "gated", handle: async (task) => task.text });
    const running = runInspect(
      { trace: first!, host: "127.0.0.1", port: 0, replay: { taskId }, extraAgents: [answering] },
      { stdin: new PassThrough(), stdout, stderr: new PassThrough(), stopped },
    );
    try {
      await vi.waitFor(() => expect(printed).toMatch(/open \S+/));
      expect(printed).toContain(
        `diverged: task ${taskId}, actor gated, seq 1 (outcome, trace record ${outcome.seq})`,
      );
      const page = await openPage(/open (\S+)/.exec(printed)![1]!);
      try {
        // The second host's records, seqs from 1, not the first host's cut-off attempt.
        expect(await page.textContent("#status")).toBe(`${records} records · trace loaded`);
        await page.waitForSelector(`.tl-row.diverged.current[data-seq="${outcome.seq}"]`);
        expect(await page.textContent(".tl-row.diverged .type")).toBe("io.outcome");
        expect(await page.textContent("#details .divergence pre")).toContain('got:      "hello again"');
      } finally {
        await page.close();
      }
    } finally {
      stop();
      expect(await running).toBe(0);
    }
  });
});
