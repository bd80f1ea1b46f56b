// How the soak run reads the console: which typed lines became tasks (by their 📥), what counts as a
// terminal status and as a reply, a refusal, a line the console died before acknowledging, and a
// task a later life of the console showed only by id.
import { describe, expect, it } from "vitest";
import { createConsoleSide } from "./soakConsole.ts";
import { emptyObservations } from "./soakObservations.ts";

const setUp = () => {
  const observations = emptyObservations({ leaseMs: 5_000, renewMs: 1_666, trafficStart: 0 });
  const side = createConsoleSide(observations, /soakx-\d+/);
  return { observations, side };
};

describe("the soak run's console side", () => {
  it("takes a typed line as a task once the console showed its 📥, with its ✅ and its result", () => {
    const { observations, side } = setUp();
    side.typed("soakx-1", "ok:10", 100, 1);
    side.printed("[t-aa1] 📥 queued (soak)", 100, 2);
    side.printed("[t-aa1] ⚙️ working", 100, 3);
    side.printed("[t-aa1] ✅ done in 10ms", 100, 4);
    side.printed("soakx-1 done", 100, 4);
    expect(observations.tasks).toMatchObject([
      {
        token: "soakx-1",
        taskId: "t-aa1",
        terminals: [{ state: "succeeded", text: "✅ done in 10ms" }],
        replies: [{ text: "soakx-1 done" }],
      },
    ]);
  });

  it("counts every ❌ line of a task, each with its reason as a reply", () => {
    const { observations, side } = setUp();
    side.typed("soakx-2", "bad", 100, 1);
    side.printed("[t-aa2] 📥 queued (soak)", 100, 2);
    side.printed("[t-aa2] ❌ failed: soak soakx-2: bad input, as asked", 100, 3);
    side.printed("[t-aa2] ❌ failed: gave up after 1 attempt; kept as a dead letter (see /status)", 100, 4);
    expect(observations.tasks[0]!.terminals).toHaveLength(2);
    expect(observations.tasks[0]!.replies).toHaveLength(2);
  });

  it("ends a refused line's task at once and notes that the team stopped taking work", () => {
    const { observations, side } = setUp();
    side.typed("soakx-3", "ok:10", 100, 1);
    side.printed("⚠ the team escalated (more than 5 restarts within 1m): it takes no new tasks", 100, 2);
    side.printed("the team is shutting down and takes no new tasks", 100, 3);
    expect(observations.tasks).toMatchObject([
      { token: "soakx-3", terminals: [{ state: "failed" }], replies: [{ text: expect.any(String) }] },
    ]);
    expect(observations.stops.map((stop) => stop.host)).toEqual(["c", "c"]);
  });

  it("does not count a line the console died before acknowledging, nor a resumed task as a typed one", () => {
    const { observations, side } = setUp();
    side.typed("soakx-4", "ok:10", 100, 1);
    side.ended(100, 2);
    // The next life resumes a task it never showed a 📥 for: known by id only.
    side.printed("[t-aa9] 📥 queued (soak)", 200, 3);
    side.printed("[t-aa9] ✅ done in 3ms", 200, 4);
    expect(observations.tasks).toEqual([]);
    expect(observations.unacknowledged.map((line) => line.token)).toEqual(["soakx-4"]);
    expect(side.orphans.get("t-aa9")?.terminals).toHaveLength(1);
  });
});
