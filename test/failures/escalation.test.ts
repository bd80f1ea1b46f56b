// When the team does escalate — a real bug: an agent that crashes in a loop until restarts exceed the
// intensity — the real `troupe start` says so once and loudly, and comes back: one error log line with
// the cause, a critical alert in the file sink, /healthz 503 with the reason while it is down, then the
// team restarts after its backoff, keeping the queue: the crashed tasks are retried and answer once the
// bug is gone, echo answers, /healthz is 200 again and the alert is resolved.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { freshNamespace, linesByTask, onCleanup, REDIS_URL, watched } from "./hostFailures.ts";

/** The alerts the file sink wrote, as JSON. */
const alertsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith(".json"))
        .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, string>)
    : [];

describe("troupe start when its team escalates", () => {
  it("logs one error, sends a critical alert, answers 503 with the reason, and restarts the team", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-escalation-"));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const alerts = join(dir, "alerts");
    const bug = join(dir, "bug");
    writeFileSync(bug, "while this file exists, the crasher agent crashes");
    const troupe = watched(
      spawnTroupe(["start"], {
        REDIS_URL,
        TROUPE_NAMESPACE: freshNamespace(),
        TROUPE_DATA_DIR: dir,
        TROUPE_NOTIFY_FILE_DIR: alerts,
        TROUPE_TEST_AGENTS: "crasher",
        TROUPE_RETRY_BACKOFF: "50ms",
        // Long enough to look at the escalated host before it restarts.
        TROUPE_TEAM_RESTART: "6s",
      }),
    );
    const { url } = (await troupe.log("http listening")) as { url: string };
    await troupe.log("troupe started");
    for (let i = 0; i < 3; i += 1) troupe.send(`/ask crasher ${bug}`);

    const warned = await troupe.line(/^⚠ the team escalated \(/);
    expect(warned).toMatch(
      /more than 5 restarts within 1m .*crasher crashed.*cannot read properties of undefined.*\): restarting it in \d/,
    );
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as {
      status: string;
      components: { team: { status: string; reason: string; details: Record<string, string> } };
    };
    expect(body.status).toBe("unavailable");
    const team = body.components.team;
    expect(team).toMatchObject({
      status: "down",
      reason: expect.stringMatching(
        /^the team escalated: the supervisor gave up: more than 5 restarts within 1m/,
      ),
      details: { state: "escalated", restartAt: expect.any(String) },
    });
    await expect
      .poll(() => alertsIn(alerts).find((alert) => alert.severity === "critical"), { timeout: 10_000 })
      .toMatchObject({
        title: "The team escalated",
        text: expect.stringContaining(team.reason.replace(/^the team escalated: /, "")),
      });

    rmSync(bug); // the bug is gone: what waited in the queue can now run
    await troupe.line(/^✔ the team restarted after /);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    troupe.send("/ask echo back again");
    await troupe.line(/^back again$/);
    await expect
      .poll(() => troupe.stdout.filter((line) => line === `no crash: ${bug} is gone`).length, {
        timeout: 10_000,
      })
      .toBe(3);
    await expect
      .poll(() => alertsIn(alerts).find((alert) => alert.title === "Resolved: The team escalated"), {
        timeout: 10_000,
      })
      .toBeDefined();

    troupe.end();
    expect(await troupe.exited).toBe(0);
    const errors = troupe.logs.filter((record) => record.level === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        msg: "the team escalated",
        reason: team.reason.replace(/^the team escalated: /, ""),
      }),
    ]);
    // No crashed task ended while the team was away: each one's only end is its answer.
    for (const lines of linesByTask(troupe.stdout).values())
      expect(lines.filter((line) => line.startsWith("❌"))).toEqual([]);
  }, 60_000);
});
