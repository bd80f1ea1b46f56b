// The local console, driven through a pipe as a script would drive it: the real `troupe start` in a
// child process, its stdout read line by line; and in-process on the console surface, with a real
// team, worker and in-memory work queue, for what the child cannot be made to do (a full queue, an
// agent whose model is down).
import { PassThrough } from "node:stream";
import {
  type AnyAgentDefinition,
  createSupervisor,
  defineAgent,
  silentLogger,
  startWorker,
  type Team,
  TroupeError,
  type Worker,
  type WorkItem,
  type WorkQueue,
} from "@troupe/runtime";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";
import { startLocalConsole } from "./LocalConsole.ts";

const TASK_ID = /^\[(t-[0-9a-f]+)\]/;
const idOf = (line: string) => TASK_ID.exec(line)![1]!;

describe("troupe start, local console over a pipe", () => {
  it("lists the agents, runs a task as a block of status lines and its reply, explains an unknown command, exits 0 at end of input", async () => {
    const troupe = spawnTroupe(["start"]);
    await troupe.log("troupe started");

    troupe.send("/agents");
    expect(await troupe.line(/^echo\s/)).toMatch(/^echo\s+idle\s+echo\s+closed$/);
    expect(await troupe.line(/^system-monitor\s/)).toMatch(/system, monitor\s+closed$/);
    expect(troupe.stdout.some((line) => line.startsWith("```"))).toBe(false);

    troupe.send("/ask echo hello");
    const taskId = idOf(await troupe.line("📥 queued"));
    const doneAt = troupe.stdout.indexOf(await troupe.line(`[${taskId}] ✅ done`));
    // 👀, ⚙️, then the reply and how to replay it offline, then ✅.
    expect(
      troupe.stdout.slice(0, doneAt + 1).filter((line) => line.includes(taskId) || line === "hello"),
    ).toEqual([
      `[${taskId}] 📥 queued`,
      `[${taskId}] 👀 claimed`,
      `[${taskId}] ⚙️ working`,
      "hello",
      expect.stringMatching(new RegExp(`^replay offline: troupe replay \\S+\\.jsonl --task ${taskId}$`)),
      `[${taskId}] ✅ done`,
    ]);

    troupe.send("/frobnicate now");
    expect(await troupe.line("/frobnicate")).toBe(
      "Unknown command /frobnicate: the commands are /ask, /fanout, /status, /agents, /cancel, /retry, /schedule, /help, /quit, /answer, /approve, /deny, /vote.",
    );

    troupe.end();
    expect(await troupe.exited).toBe(0);
    // stdout is the console only; logs are JSON lines on stderr.
    expect(troupe.stdout.some((line) => line.includes('"level"'))).toBe(false);
    expect(troupe.logs.map((record) => record.msg)).toContain("troupe stopped");
  });

  it("finishes tasks still running when input ends right after them", async () => {
    const troupe = spawnTroupe(["start"]);
    troupe.send("@echo one");
    troupe.send("two, by the fallback");
    troupe.send("what is the system load?");
    troupe.end();

    expect(await troupe.exited).toBe(0);
    expect(troupe.stdout.filter((line) => line.endsWith("📥 queued"))).toHaveLength(3);
    expect(troupe.stdout.filter((line) => line.endsWith("✅ done"))).toHaveLength(3);
    expect(troupe.stdout).toContain("one");
    expect(troupe.stdout).toContain("two, by the fallback");
    // "system" names the system monitor's capability: it answered.
    expect(troupe.stdout.some((line) => line.startsWith("memory "))).toBe(true);
  });

  it("answers /help, /status and mistakes in commands", async () => {
    const troupe = spawnTroupe(["start"]);
    troupe.send("/help");
    await troupe.line(/^\s+\/ask <agent> <text>/);
    troupe.send("/status");
    await troupe.line(/^Team: accepting tasks, 0 queued, 0 in flight/);
    expect(await troupe.line(/^Work queue /)).toMatch(
      /^Work queue \(SQLite \/.*\/default\.sqlite\): 0 ready, 0 leased, 0 delayed, 0 dead\.$/,
    );
    await troupe.line("No dead letters.");
    troupe.send("/ask nobody hi");
    await troupe.line('Unknown agent "nobody": the agents are echo, system-monitor (see /agents).');
    troupe.send("/cancel t-000000000000");
    await troupe.line('no task has the id "t-000000000000"; /status shows the running ones');
    troupe.send("/ask");
    await troupe.line("/ask needs its agent: /ask <agent> <text>");
    troupe.send("/ask echo");
    await troupe.line("/ask needs its text: /ask <agent> <text>");
    troupe.send("/vote t-1 yes");
    await troupe.line("/vote needs a task id and a choice's number: /vote <taskId> <n>");
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("drains and exits 0 on SIGTERM while its input is still open", async () => {
    const troupe = spawnTroupe(["start"]);
    await troupe.log("troupe started");
    troupe.child.kill("SIGTERM");
    expect(await troupe.exited).toBe(0);
    expect(troupe.logs.find((record) => record.msg === "console stopped")?.reason).toBe("SIGTERM");
  });

  it("never prints DISCORD_TOKEN, even when the Discord settings are incomplete", async () => {
    const token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789";
    const troupe = spawnTroupe(["start"], { DISCORD_TOKEN: token });
    expect(await troupe.exited).toBe(2);
    expect(troupe.stderr.join("\n")).toContain("DISCORD_CHANNELS must name the channels Troupe reads");
    expect([...troupe.stdout, ...troupe.stderr].join("\n")).not.toContain(token);
  });
});

describe("the console and the work queue", () => {
  it("shows dead letters with their error in /status, and /retry queues one again", async () => {
    const troupe = spawnTroupe(["start"], { TROUPE_TEST_AGENTS: "slow" });
    troupe.send("/ask slow not-a-number");
    const gaveUp = await troupe.line(/❌ failed: slow needs a whole number of milliseconds up to \d+$/);
    const deadId = idOf(gaveUp);
    troupe.send("/status");
    const queueLine = await troupe.line(/^Work queue /);
    expect(queueLine).toMatch(/: 0 ready, 0 leased, 0 delayed, 1 dead\.$/);
    const from = troupe.stdout.indexOf(queueLine);
    await troupe.line("Latest dead letters (`/retry task:<id>` queues one again):", { from });
    expect(await troupe.line(deadId, { from })).toMatch(
      new RegExp(`^- \`${deadId}\` after 1 attempts: InvalidTask: slow needs a whole number of milliseconds`),
    );

    troupe.send(`/retry ${deadId}`);
    const retried = await troupe.line(`🔁 retrying dead letter ${deadId} as task`);
    const newId = /as task (t-[0-9a-f]+):$/.exec(retried)![1]!;
    expect(newId).not.toBe(deadId);
    await troupe.line(`[${newId}] ❌ failed: slow needs a whole number of milliseconds`);
    troupe.send("/retry t-000000000000");
    await troupe.line('No dead letter has the id "t-000000000000"; /status lists the latest dead letters.');
    troupe.end();
    expect(await troupe.exited).toBe(0);
    // Its end is said once.
    expect(troupe.stdout.filter((line) => line.startsWith(`[${deadId}] ❌`))).toHaveLength(1);
  });

  let team: Team | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.stop();
    team?.stop();
    team = undefined;
    worker = undefined;
  });

  /** A console in this process on `queue` (with a worker running `agents`, when given), its lines kept. */
  const consoleOn = (queue: WorkQueue, agents: AnyAgentDefinition[] = []) => {
    team = createSupervisor({ agents, ...(agents[0] ? { fallback: agents[0].name } : {}) });
    if (agents.length > 0)
      worker = startWorker({
        team,
        queue,
        consumer: "test",
        pollWait: "20ms",
        maxAttempts: 3,
        backoff: { base: "5ms" },
      });
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: string[] = [];
    output.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
    const running = startLocalConsole({
      team,
      queue,
      input,
      output,
      logger: silentLogger,
      drainTimeoutMs: 2_000,
    });
    return {
      input,
      lines,
      /** The first line matching, once printed. */
      line: (match: RegExp) =>
        expect
          .poll(() => lines.find((line) => match.test(line)))
          .toBeDefined()
          .then(() => lines.find((line) => match.test(line))!),
      async end(text = "") {
        input.end(text);
        await running.done;
      },
    };
  };

  it("prints the reply by the agent's text formatter, not its markdown", async () => {
    const formatted = defineAgent({
      name: "formatted",
      handle: (task) => ({ answer: task.text }),
      format: {
        markdown: (output) => `**${output.answer}**`,
        text: (output) => `answer: ${output.answer}`,
        notification: (output) => output.answer,
      },
    });
    const console_ = consoleOn(new MemoryWorkQueue(), [formatted]);
    await console_.end("what?\n");
    const id = idOf(console_.lines[0]!);
    expect(console_.lines).toEqual([
      `[${id}] 📥 queued`,
      `[${id}] 👀 claimed`,
      `[${id}] ⚙️ working`,
      "answer: what?",
      `[${id}] ✅ done`,
    ]);
  });

  it("shows 🔁 with the reason while a retry is pending, and ❌ with it once, at the end", async () => {
    const modelDown = defineAgent({
      name: "model-down",
      handle: () => {
        throw new TroupeError("ModelUnavailable", "Ollama is not running");
      },
    });
    const console_ = consoleOn(new MemoryWorkQueue(), [modelDown]);
    await console_.end("@model-down hi\n");
    const id = idOf(console_.lines[0]!);
    const retries = console_.lines.filter((line) => line.startsWith(`[${id}] 🔁 retrying (attempt`));
    expect(retries).toEqual([
      `[${id}] 🔁 retrying (attempt 2): Ollama is not running`,
      `[${id}] 🔁 retrying (attempt 3): Ollama is not running`,
    ]);
    expect(console_.lines.filter((line) => line.includes("❌"))).toEqual([
      `[${id}] ❌ failed: Ollama is not running`,
    ]);
    expect(console_.lines.at(-1)).toBe(`[${id}] ❌ failed: Ollama is not running`);
  });

  it("/cancel takes a task still waiting in the queue off it, so it never runs", async () => {
    let queued!: (id: string) => void;
    const enqueued = new Promise<string>((resolve) => {
      queued = resolve;
    });
    class WatchedQueue extends MemoryWorkQueue {
      override async enqueue(item: WorkItem): Promise<void> {
        await super.enqueue(item);
        queued(item.id);
      }
    }
    const queue = new WatchedQueue();
    const console_ = consoleOn(queue);
    console_.input.write("a task that waits\n");
    const id = await enqueued;
    console_.input.write(`/cancel ${id}\n`);
    expect(await console_.line(/\] 🚫/)).toBe(`[${id}] 🚫 cancelled: cancelled by console with /cancel`);
    expect(await queue.record(id)).toMatchObject({ status: "cancelled" });
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0 });
    await console_.end();
    expect(console_.lines.filter((line) => line.includes("🚫"))).toHaveLength(2); // the answer, and the task's end
  });

  it("says clearly when the queue is full, and queues nothing", async () => {
    class FullQueue extends MemoryWorkQueue {
      override async enqueue(item: WorkItem): Promise<void> {
        throw new TroupeError(
          "MailboxFull",
          `the work queue is full (limit 0); task ${item.id} was not queued`,
        );
      }
    }
    const queue = new FullQueue();
    const console_ = consoleOn(queue);
    await console_.end("a task\n");
    const id = idOf(console_.lines[0]!);
    expect(console_.lines).toEqual([
      `[${id}] 📥 queued`,
      `[${id}] ❌ not queued: the work queue is full (limit 0); task ${id} was not queued`,
    ]);
    expect(await queue.stats()).toMatchObject({ ready: 0 });
  });
});
