import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindAction, type PollRequest, type Task } from "@troupe/runtime";
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";
import { createConsoleHumanGateway, describePrompt, type HumanPrompt } from "./ConsoleHumanGateway.ts";

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

  it("takes the console person's vote (the latest counts) until a choice has the quorum, or the expiry", async () => {
    const gateway = createConsoleHumanGateway({ now: () => 0, by: "console:ana" });
    const shown: HumanPrompt[] = [];
    gateway.attach((prompt) => shown.push(prompt));
    const request: PollRequest = {
      question: "Ship on Friday?",
      choices: ["yes", "no"],
      quorum: 2,
      expiresInMs: 600_000,
      expiresAt: 600_000,
      roles: [],
      votes: [{ voter: "agent:research", choice: "yes" }],
    };
    const signal = new AbortController().signal;
    const decided = gateway.poll!(request, { task, agent: "consensus", signal, expiry: signal });
    expect(describePrompt(shown[0]!)).toEqual([
      "[t-1] consensus asks for a vote (2 to win, closes in 10m): Ship on Friday?",
      "[t-1]   1. yes",
      "[t-1]   2. no",
      "[t-1] reply with /vote t-1 <number>",
    ]);
    expect(gateway.vote("t-1", 3)).toBe("/vote takes a choice's number, 1 to 2");
    expect(gateway.vote("t-1", 2)).toBe("[t-1] voted no (1 of 2 needed)");
    expect(gateway.vote("t-1", 1)).toBe("[t-1] voted yes: it has the quorum of 2");
    await expect(decided).resolves.toMatchObject({
      winner: "yes",
      votes: [
        { voter: "agent:research", choice: "yes" },
        { voter: "console:ana", choice: "yes" },
      ],
    });
    expect(gateway.vote("t-1", 1)).toBe("task t-1 is not waiting for a vote");

    const expiry = new AbortController();
    const closed = gateway.poll!(
      { ...request, votes: [] },
      { task, agent: "consensus", signal, expiry: expiry.signal },
    );
    gateway.vote("t-1", 2);
    expiry.abort();
    await expect(closed).resolves.toMatchObject({
      winner: null,
      closedBy: "expiry",
      votes: [{ voter: "console:ana", choice: "no" }],
    });
    expect(gateway.waiting).toEqual([]);
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
      await second.line(`[${taskId}] ✅ done`); // a resumed task shows its end (its result stays in the queue)
      second.end();
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
