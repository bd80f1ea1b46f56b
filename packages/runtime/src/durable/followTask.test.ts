// Following a task to its outcome: woken by the queue's event, found by a re-check when the event was
// missed or the record could not be read, and ended at once by an abort.
import { describe, expect, it } from "vitest";
import { EventBus } from "../events/EventBus.ts";
import { createTaskFollower } from "./followTask.ts";
import type { TaskRecord } from "./WorkQueue.ts";

/** A queue whose record of "t-1" the test sets; `failing` makes reading it throw. */
const fakeQueue = () => {
  const state: { record: TaskRecord | undefined; failing: boolean; reads: number } = {
    record: { taskId: "t-1", status: "leased", attempts: 1 },
    failing: false,
    reads: 0,
  };
  return {
    state,
    queue: {
      record: async () => {
        state.reads += 1;
        if (state.failing) throw new Error("Redis is unreachable");
        return state.record;
      },
    },
  };
};
const succeeded: TaskRecord = { taskId: "t-1", status: "succeeded", attempts: 1, output: "hi" };

describe("createTaskFollower", () => {
  it("reads the record again when the queue says it recorded the task's outcome", async () => {
    const { state, queue } = fakeQueue();
    const bus = new EventBus();
    const follower = createTaskFollower(queue, bus, { recheckMs: 60_000 });
    const followed = follower.follow("t-1", AbortSignal.timeout(10_000));
    await expect.poll(() => state.reads).toBe(1);
    state.record = succeeded;
    bus.publish({ type: "task.recorded", taskId: "t-1", status: "succeeded" });
    await expect(followed).resolves.toEqual(succeeded);
    follower.close();
  });

  it("finds the outcome by a re-check when the event was missed or the record could not be read", async () => {
    const { state, queue } = fakeQueue();
    state.failing = true;
    const follower = createTaskFollower(queue, new EventBus(), { recheckMs: 5 });
    const followed = follower.follow("t-1", AbortSignal.timeout(10_000));
    await expect.poll(() => state.reads).toBeGreaterThan(1);
    state.failing = false;
    state.record = succeeded;
    await expect(followed).resolves.toEqual(succeeded);
    follower.close();
  });

  it("follows one task for two callers, and ends a wait at once when its signal aborts", async () => {
    const { state, queue } = fakeQueue();
    const bus = new EventBus();
    const follower = createTaskFollower(queue, bus, { recheckMs: 60_000 });
    const stop = new AbortController();
    const abandoned = follower.follow("t-1", stop.signal);
    const first = follower.follow("t-1", AbortSignal.timeout(10_000));
    const second = follower.follow("t-1", AbortSignal.timeout(10_000));
    stop.abort();
    await expect(abandoned).resolves.toBeUndefined();
    await expect.poll(() => state.reads).toBeGreaterThanOrEqual(3);
    state.record = { taskId: "t-1", status: "dead", attempts: 3 };
    bus.publish({
      type: "task.dead_lettered",
      taskId: "t-1",
      attempts: 3,
      error: { tag: "X", reason: "no" },
    });
    await expect(Promise.all([first, second])).resolves.toEqual([state.record, state.record]);
    follower.close();
  });
});
