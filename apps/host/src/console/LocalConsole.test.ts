// The local console, driven through a pipe as a script would drive it: the real `troupe start`
// in a child process, its stdout read line by line.
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

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
    troupe.send("/ask nobody hi");
    await troupe.line('unknown agent "nobody": the agents are echo, system-monitor');
    troupe.send("@nobody hi");
    await troupe.line('unknown agent "@nobody"');
    troupe.send("/cancel t-000000000000");
    await troupe.line('no queued or running task has the id "t-000000000000"');
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

  it("never prints DISCORD_TOKEN, and says the Discord surface is not there yet", async () => {
    const token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789";
    const troupe = spawnTroupe(["start"], { DISCORD_TOKEN: token });
    await troupe.log("troupe started");
    troupe.send("/status");
    await troupe.line(/^team: /);
    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(
      troupe.logs.some((record) => String(record.msg).includes("Discord surface is not available yet")),
    ).toBe(true);
    expect([...troupe.stdout, ...troupe.stderr].join("\n")).not.toContain(token);
  });
});
