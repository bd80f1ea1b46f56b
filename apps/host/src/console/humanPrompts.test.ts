import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindAction, type Task } from "@troupe/runtime";
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";
import { createConsoleHumanGateway, type HumanPrompt } from "./ConsoleHumanGateway.ts";

const task = { id: "t-1", text: "x", attempt: 1 } as Task;

describe("the console's human gateway", () => {
  it("answers a question, and approves only the approval it shows (by its short hash)", async () => {
    const gateway = createConsoleHumanGateway({ now: () => 0, by: "console:ana" });
    const shown: HumanPrompt[] = [];
    const signal = new AbortController().signal;
    const answer = gateway.ask("which region?", { task, agent: "ops", signal });
    gateway.attach((prompt) => shown.push(prompt)); // attached late: sees what is already waiting
    expect(shown.map((prompt) => prompt.kind)).toEqual(["question"]);
    expect(gateway.answer("t-2", "eu")).toBe("task t-2 is not waiting for an answer");
    expect(gateway.answer("t-1", " eu-west ")).toBe("[t-1] answered");
    await expect(answer).resolves.toBe("eu-west");

    const bound = bindAction({ kind: "deploy" });
    const decided = gateway.approve!({ ...bound, expiresAt: 60_000 }, { task, agent: "ops", signal });
    expect(gateway.decide("t-1", true, "#00000000")).toContain("refused");
    expect(gateway.decide("t-1", true, `#${bound.shortHash}`)).toBe(
      `[t-1] approved #${bound.shortHash} (by console:ana)`,
    );
    await expect(decided).resolves.toEqual({ hash: bound.hash, approved: true, by: "console:ana" });
    expect(gateway.decide("t-1", false)).toBe("task t-1 is not waiting for an approval");
  });

  it("forgets a prompt whose task was cancelled", async () => {
    const gateway = createConsoleHumanGateway();
    const controller = new AbortController();
    const answer = gateway.ask("ok?", { task, agent: "ops", signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(answer).rejects.toThrow("cancelled");
    expect(gateway.waiting).toEqual([]);
  });
});

describe("approvals through the real CLI", () => {
  it("prints the action and its short hash; a piped /approve answers and the task completes", async () => {
    const troupe = spawnTroupe(["start"], { TROUPE_TEST_AGENTS: "approver" });
    troupe.send("/ask approver api-7");
    const asked = await troupe.line(/asks for approval of #[0-9a-f]{8}/);
    const [, taskId, hash] = /^\[(t-[0-9a-f]+)\] approver asks for approval of #([0-9a-f]{8})/.exec(asked)!;
    expect(asked).toContain('{"kind":"deploy","target":"api-7"}');
    expect(hash).toBe(bindAction({ kind: "deploy", target: "api-7" }).shortHash);
    await troupe.line(`[${taskId}] ✋`);
    await troupe.line(`reply with /approve ${taskId} or /deny ${taskId}`);
    troupe.send(`/approve ${taskId} #ffffffff`);
    await troupe.line(`refused: task ${taskId} waits for the approval of #${hash}`);
    troupe.send(`/approve ${taskId}`);
    await troupe.line(`[${taskId}] approved #${hash}`);
    await troupe.line(`[${taskId}] ✅`);
    await troupe.line(/deployed api-7 \(approved by console/);

    troupe.send("/ask approver db-2");
    const second = await troupe.line(/\] approver asks for approval of #/, { from: troupe.stdout.length });
    const secondId = /^\[(t-[0-9a-f]+)\]/.exec(second)![1]!;
    troupe.send(`/deny ${secondId}`);
    await troupe.line(/did not deploy db-2 \(denied by console/);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });
});

describe("a pending approval across a crash", { timeout: 30_000 }, () => {
  it("is asked again after a SIGKILL and a restart, for the same action, and the task completes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-approval-restart-"));
    const env = {
      TROUPE_DATA_DIR: dataDir,
      TROUPE_TEST_AGENTS: "approver",
      TROUPE_CONSUMER: "approval-test",
    };
    try {
      const first = spawnTroupe(["start"], env);
      first.send("/ask approver db-9");
      const asked = await first.line(/approver asks for approval of #/);
      const [, taskId, hash] = /^\[(t-[0-9a-f]+)\] approver asks for approval of #([0-9a-f]{8})/.exec(asked)!;
      first.child.kill("SIGKILL");
      expect(await first.exited).toBe("SIGKILL");

      const second = spawnTroupe(["start"], env);
      const again = await second.line(`[${taskId}] approver asks for approval of #${hash}`);
      expect(again).toContain('{"kind":"deploy","target":"db-9"}');
      second.send(`/approve ${taskId} #${hash}`);
      await second.line(`[${taskId}] approved #${hash}`);
      await second.line(`[${taskId}] ✅ done in`); // a resumed task shows its end (its result stays in the queue)
      second.end();
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
