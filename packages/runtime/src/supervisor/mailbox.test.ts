// Bounded mailboxes: a full queue refuses a new task at once (backpressure), nothing grows unbounded.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

describe("bounded mailboxes", () => {
  it("refuses a task at once with MailboxFull when the agent's queue is at its limit", async () => {
    const busy = scriptedAgent("busy", [{ hang: true }]);
    const { team } = createTestTeam({ agents: [busy], mailbox: { limit: 2 } });
    const runs = [1, 2, 3].map((i) => team.submit({ agent: "busy", text: `${i}` }));
    expect(team.status().agents[0]).toMatchObject({ queue: 2, task: runs[0]!.id });
    let refused: unknown;
    const overflow = team.submit({ agent: "busy", text: "one too many" });
    overflow.result.catch((error: unknown) => {
      refused = error;
    });
    await Promise.resolve();
    expect(isTroupeError(refused, "MailboxFull")).toBe(true);
    expect((refused as Error).message).toBe(
      "agent busy's queue is full (2 tasks); try again later or raise mailbox.limit",
    );
    expect(team.status().agents[0]?.queue).toBe(2);
    team.stop();
  });

  it("takes tasks again once the queue drains", async () => {
    const agent = scriptedAgent("limited", [{ reply: "ok" }], { mailbox: { limit: 1 } });
    const { team } = createTestTeam({ agents: [agent], mailbox: { limit: 50 } });
    const a = team.submit({ agent: "limited", text: "a" });
    const b = team.submit({ agent: "limited", text: "b" });
    await expect(team.submit({ agent: "limited", text: "c" }).result).rejects.toMatchObject({
      _tag: "MailboxFull",
    });
    await Promise.all([a.result, b.result]);
    await expect(team.submit({ agent: "limited", text: "d" }).result).resolves.toBe("ok");
    team.stop();
  });
});
