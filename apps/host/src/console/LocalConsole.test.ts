// The local console, driven through a pipe as a script would drive it: the real `troupe start`
// in a child process, its stdout read line by line; and in-process, for a full work queue.
import { PassThrough } from "node:stream";
import { createSupervisor, silentLogger, TroupeError, type WorkItem, type WorkQueue } from "@troupe/runtime";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";
import { startLocalConsole } from "./LocalConsole.ts";

const TASK_ID = /^\[(t-[0-9a-f]+)\]/;

describe("troupe start, local console over a pipe", () => {
  it("lists the agents, runs a task, explains an unknown command and exits 0 at end of input", async () => {
    const troupe = spawnTroupe(["start"]);
    await troupe.log("troupe started");

    troupe.send("/agents");
    const echoRow = await troupe.line(/^echo\s/);
    expect(echoRow).toMatch(/^echo\s+idle\s+echo\s+closed\s+0$/);
    expect(await troupe.line(/^system-monitor\s/)).toMatch(/system, monitor\s+closed\s+0$/);

    troupe.send("/ask echo hello");
    const queued = await troupe.line("📥 queued (echo)");
    const taskId = TASK_ID.exec(queued)![1]!;
    const doneAt = troupe.stdout.indexOf(await troupe.line(`[${taskId}] ✅ done in`));
    // The result follows its "done" line.
    await troupe.line(/^hello$/, { from: doneAt + 1 });
    expect(troupe.stdout[doneAt + 1]).toBe("hello");
    for (const step of ["👀 claimed by echo", "⚙️ working"])
      expect(troupe.stdout).toContain(`[${taskId}] ${step}`);

    troupe.send("/frobnicate now");
    expect(await troupe.line("/frobnicate")).toBe(
      'unknown command "/frobnicate": type /help to see the commands',
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
    const text = troupe.stdout.join("\n");
    expect(text).toContain("📥 queued (echo, by mention:@echo)");
    expect(text).toContain("📥 queued (echo, by fallback)");
    expect(text).toContain("📥 queued (system-monitor, by capability:system)");
    expect(troupe.stdout.filter((line) => line.includes("✅ done in"))).toHaveLength(3);
    expect(troupe.stdout).toContain("one");
    expect(troupe.stdout).toContain("two, by the fallback");
    expect(troupe.stdout.some((line) => line.startsWith("memory "))).toBe(true);
  });

  it("answers /help, /status and mistakes in commands", async () => {
    const troupe = spawnTroupe(["start"]);
    troupe.send("/help");
    await troupe.line(/^\s+\/ask <agent> <text>/);
    troupe.send("/status");
    await troupe.line(/^team: accepting tasks, 0 queued, 0 in flight/);
    expect(await troupe.line(/^queue \(/)).toMatch(
      /^queue \(SQLite \/.*\/default\.sqlite\): 0 ready, 0 leased, 0 delayed, 0 dead$/,
    );
    troupe.send("/ask nobody hi");
    await troupe.line('unknown agent "nobody": the agents are echo, system-monitor');
    troupe.send("@nobody hi");
    await troupe.line('unknown agent "@nobody"');
    troupe.send("/cancel t-000000000000");
    await troupe.line('no task has the id "t-000000000000"; /status shows the running ones');
    troupe.send("/ask");
    await troupe.line("/ask needs an agent: /ask <agent> <text>");
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
    const gaveUp = await troupe.line(
      /❌ failed after 1 attempt: slow needs a whole number of milliseconds up to \d+; kept as a dead letter \(see \/status\)$/,
    );
    const deadId = /^\[(t-[0-9a-f]+)\]/.exec(gaveUp)![1]!;
    troupe.send("/status");
    const queueLine = await troupe.line(/^queue \(/);
    expect(queueLine).toMatch(/: 0 ready, 0 leased, 0 delayed, 1 dead$/);
    const from = troupe.stdout.indexOf(queueLine);
    await troupe.line("latest dead letters (/retry <task id> queues one again):", { from });
    expect(await troupe.line(deadId, { from })).toMatch(
      new RegExp(`^${deadId}\\s+1\\s+\\S+ ago\\s+InvalidTask: slow needs a whole number of milliseconds`),
    );

    troupe.send(`/retry ${deadId}`);
    const retried = await troupe.line(`🔁 retrying dead letter ${deadId} as a new task`);
    const newId = /^\[(t-[0-9a-f]+)\]/.exec(retried)![1]!;
    expect(newId).not.toBe(deadId);
    await troupe.line(`[${newId}] ❌ failed after 1 attempt: slow needs a whole number of milliseconds`);
    troupe.send("/retry t-000000000000");
    await troupe.line('no dead letter has the id "t-000000000000"');
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  /** A console in this process on `queue`, with no worker (what is queued stays queued), its lines kept. */
  const consoleOn = (queue: WorkQueue) => {
    const team = createSupervisor({ agents: [] });
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    output.on("data", (chunk: Buffer) => {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      for (const wake of [...waiters]) wake();
    });
    const running = startLocalConsole({
      team,
      queue,
      input,
      output,
      logger: silentLogger,
      drainTimeoutMs: 1_000,
    });
    return {
      input,
      lines,
      /** The first line matching, once printed. */
      line: (match: RegExp) =>
        new Promise<string>((resolve) => {
          const look = () => {
            const found = lines.find((line) => match.test(line));
            if (found === undefined) return;
            waiters.delete(look);
            resolve(found);
          };
          waiters.add(look);
          look();
        }),
      async end(text = "") {
        input.end(text);
        await running.done;
        team.stop();
      },
    };
  };

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
    expect(await console_.line(/🚫/)).toBe(`[${id}] 🚫 cancelled: cancelled from the console`);
    expect(await queue.record(id)).toMatchObject({ status: "cancelled" });
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0 });
    await console_.end();
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
    expect(console_.lines).toHaveLength(1);
    expect(console_.lines[0]).toMatch(
      /^❌ not queued: the work queue is full \(limit 0\); task t-[0-9a-f]+ was not queued$/,
    );
    expect(await queue.stats()).toMatchObject({ ready: 0 });
  });
});
