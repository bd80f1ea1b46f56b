// The behaviour every WorkQueue adapter must show, as one suite each adapter's test runs against its
// own backend (memory, SQLite, Redis Streams): leases, own-work-first, expiry and takeover with
// fencing, retries after a delay, dead letters, idempotent enqueue and waiting for work — and, drawn
// with fast-check, that any id, input, output, delay and number of attempts is kept as given.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  taskId as anyTaskId,
  taskInput as anyTaskInput,
  farDelayMs,
  jsonValue,
  offPatternTaskId,
  PROPERTY_RUNS,
  shortDelayMs,
} from "../internal/storeArbitraries.ts";
import { DEFAULT_MAX_TASK_BYTES, taskInputBytes } from "../task/taskLimits.ts";
import type { Lease, WorkQueue } from "./WorkQueue.ts";

export interface ContractBackend {
  readonly queue: WorkQueue;
  /** A second handle on the same backend, as a restarted process would open it. */
  reopen(): Promise<WorkQueue>;
  cleanup(): Promise<void>;
}

/** How long leases last in the suite; adapters must be built with this lease time. */
export const CONTRACT_LEASE_MS = 300;

/** Lease until something comes back (or fail after `withinMs`): for what becomes ready with time. */
const leaseWithin = async (queue: WorkQueue, consumer: string, withinMs: number): Promise<Lease[]> => {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const leases = await queue.lease(consumer, { max: 10, waitMs: 50 });
    if (leases.length > 0) return leases;
  }
  throw new Error(`nothing became ready for ${consumer} within ${withinMs} ms`);
};

/** Inputs the adapters take with their default maxTaskBytes. */
const taskInput = anyTaskInput.filter((input) => taskInputBytes(input) <= DEFAULT_MAX_TASK_BYTES);

export const describeWorkQueueContract = (name: string, open: () => Promise<ContractBackend>): void => {
  describe(`${name}: the WorkQueue contract`, () => {
    let backend: ContractBackend;
    let queue: WorkQueue;
    beforeEach(async () => {
      backend = await open();
      queue = backend.queue;
    });
    afterEach(async () => {
      await backend.cleanup();
    });

    it("delivers a task once, with fence and attempt 1, and keeps its outcome", async () => {
      await queue.enqueue({ id: "t-1", input: { text: "hello", agent: "echo" } });
      await queue.enqueue({ id: "t-1", input: { text: "enqueued twice" } });
      const [lease, ...more] = await queue.lease("a", { max: 10, waitMs: 0 });
      expect(more).toEqual([]);
      expect(lease).toMatchObject({ taskId: "t-1", input: { text: "hello", agent: "echo" }, attempt: 1 });
      expect(await queue.lease("b", { max: 10, waitMs: 0 })).toEqual([]);
      expect(await queue.finish(lease!, { status: "succeeded", output: { text: "hi" } })).toBe("accepted");
      expect(await queue.record("t-1")).toMatchObject({
        status: "succeeded",
        attempts: 1,
        output: { text: "hi" },
      });
      expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0, dead: 0 });
      expect(await queue.lease("a", { max: 10, waitMs: 0 })).toEqual([]);
    });

    it("keeps a cancelled task's reason in its record", async () => {
      await queue.enqueue({ id: "t-2", input: { text: "stop me" } });
      const [lease] = await queue.lease("a", { max: 1, waitMs: 0 });
      expect(await queue.finish(lease!, { status: "cancelled", reason: "cancelled by ana" })).toBe(
        "accepted",
      );
      expect(await queue.record("t-2")).toMatchObject({
        status: "cancelled",
        error: { tag: "Cancelled", reason: "cancelled by ana" },
      });
    });

    it("gives a restarted consumer its own unfinished leases first, and only on its first lease", async () => {
      await queue.enqueue({ id: "mine", input: { text: "1" } });
      const [first] = await queue.lease("host-a", { max: 1, waitMs: 0 });
      await queue.enqueue({ id: "new", input: { text: "2" } });
      const reopened = await backend.reopen();
      const again = await reopened.lease("host-a", { max: 1, waitMs: 0 });
      expect(again.map((lease) => lease.taskId)).toEqual(["mine"]);
      expect(again[0]!.fence).toBeGreaterThan(first!.fence);
      expect(await queue.finish(first!, { status: "succeeded", output: 1 })).toBe("fenced");
      expect((await reopened.lease("host-a", { max: 5, waitMs: 0 })).map((lease) => lease.taskId)).toEqual([
        "new",
      ]);
    });

    it("lets another consumer take over an expired lease and refuses the old holder's late outcome", async () => {
      await queue.enqueue({ id: "slow", input: { text: "x" } });
      const [old] = await queue.lease("paused", { max: 1, waitMs: 0 });
      const [taken] = await leaseWithin(queue, "rescuer", CONTRACT_LEASE_MS * 10);
      expect(taken).toMatchObject({ taskId: "slow", attempt: 2 });
      expect(taken!.fence).toBeGreaterThan(old!.fence);
      expect(await queue.renew(old!, "paused")).toBe(false);
      expect(await queue.finish(old!, { status: "succeeded", output: "late" })).toBe("fenced");
      expect(await queue.finish(taken!, { status: "succeeded", output: "fresh" })).toBe("accepted");
      expect(await queue.record("slow")).toMatchObject({ status: "succeeded", output: "fresh" });
    });

    it("keeps a renewed lease from expiring", async () => {
      await queue.enqueue({ id: "long", input: { text: "x" } });
      const [lease] = await queue.lease("worker", { max: 1, waitMs: 0 });
      for (let i = 0; i < 4; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, CONTRACT_LEASE_MS / 3));
        expect(await queue.renew(lease!, "worker")).toBe(true);
        expect(await queue.lease("other", { max: 1, waitMs: 0 })).toEqual([]);
      }
    });

    it("delivers a retried task again only after its delay, as the next attempt", async () => {
      await queue.enqueue({ id: "flaky", input: { text: "x" } });
      const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
      const retriedAt = Date.now();
      expect(await queue.retry(lease!, { tag: "AgentCrashed", reason: "boom" }, 200)).toBe("accepted");
      expect(await queue.record("flaky")).toMatchObject({ status: "delayed", error: { reason: "boom" } });
      expect(await queue.lease("w", { max: 1, waitMs: 0 })).toEqual([]);
      const [again] = await leaseWithin(queue, "w", 3_000);
      expect(Date.now() - retriedAt).toBeGreaterThanOrEqual(200);
      expect(again).toMatchObject({ taskId: "flaky", attempt: 2 });
    });

    it("buries a task in the dead-letter list with its last error", async () => {
      await queue.enqueue({ id: "poison", input: { text: "x" } });
      const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
      expect(await queue.bury(lease!, { tag: "NoRoute", reason: "nobody" })).toBe("accepted");
      expect(await queue.deadLetters()).toEqual([
        expect.objectContaining({
          taskId: "poison",
          attempts: 1,
          error: { tag: "NoRoute", reason: "nobody" },
        }),
      ]);
      expect(await queue.stats()).toMatchObject({ dead: 1, ready: 0 });
      expect(await queue.record("poison")).toMatchObject({ status: "dead" });
      expect(await queue.lease("w", { max: 1, waitMs: 0 })).toEqual([]);
    });

    it("withdraws a waiting task, queued or delayed, so it is never delivered, and leaves a leased one", async () => {
      await queue.enqueue({ id: "waiting", input: { text: "1" } });
      await queue.enqueue({ id: "retried", input: { text: "2" } });
      await queue.enqueue({ id: "kept", input: { text: "3" } });
      expect(await queue.withdraw("waiting", "not needed any more")).toBe("withdrawn");
      const leases = await queue.lease("a", { max: 10, waitMs: 0 });
      expect(leases.map((lease) => lease.taskId).sort()).toEqual(["kept", "retried"]);
      const retried = leases.find((lease) => lease.taskId === "retried")!;
      await queue.retry(retried, { tag: "ModelUnavailable", reason: "busy" }, CONTRACT_LEASE_MS);
      expect(await queue.withdraw("retried", "cancelled by ana")).toBe("withdrawn");
      expect(await queue.withdraw("kept", "too late")).toBe("running");
      expect(await queue.withdraw("nobody", "?")).toBe("unknown");
      expect(await queue.record("waiting")).toMatchObject({
        status: "cancelled",
        error: { tag: "Cancelled", reason: "not needed any more" },
      });
      expect(await queue.record("retried")).toMatchObject({
        status: "cancelled",
        error: { tag: "Cancelled", reason: "cancelled by ana" },
      });
      expect(await queue.stats()).toMatchObject({ ready: 0, leased: 1, delayed: 0 });
      const kept = leases.find((lease) => lease.taskId === "kept")!;
      expect(await queue.finish(kept, { status: "succeeded", output: 3 })).toBe("accepted");
      expect(await queue.withdraw("kept", "after the end")).toBe("ended");
      // The retry's due time passes: nothing comes back.
      expect(await queue.lease("a", { max: 10, waitMs: CONTRACT_LEASE_MS * 2 })).toEqual([]);
      expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0, oldestAgeMs: undefined });
    });

    describe("for any id, input, output, delay and number of attempts", () => {
      /** Each run of a property on a backend of its own, so a failed run cannot mislead the next. */
      const onFreshQueue = async (work: (queue: WorkQueue) => Promise<void>) => {
        const fresh = await open();
        try {
          await work(fresh.queue);
        } finally {
          await fresh.cleanup();
        }
      };

      it("refuses an id off the task id pattern or an input over the size limit with InvalidTask, and delivers the next task", async () => {
        const oversized = fc.integer({
          min: DEFAULT_MAX_TASK_BYTES - 8,
          max: DEFAULT_MAX_TASK_BYTES + 1_000,
        });
        await fc.assert(
          fc.asyncProperty(offPatternTaskId, oversized, anyTaskId, (badId, size, goodId) =>
            onFreshQueue(async (queue) => {
              await expect(queue.enqueue({ id: badId, input: { text: "x" } })).rejects.toMatchObject({
                _tag: "InvalidTask",
                reason: expect.stringContaining("its id must be"),
              });
              await expect(
                queue.enqueue({ id: goodId, input: { text: "x".repeat(size) } }),
              ).rejects.toMatchObject({
                _tag: "InvalidTask",
                reason: expect.stringContaining(`over the limit of ${DEFAULT_MAX_TASK_BYTES} bytes`),
              });
              await queue.enqueue({ id: goodId, input: { text: "fits" } });
              const leases = await queue.lease("a", { max: 10, waitMs: 0 });
              expect(leases.map((lease) => [lease.taskId, lease.input])).toEqual([
                [goodId, { text: "fits" }],
              ]);
            }),
          ),
          { numRuns: 10 },
        );
      });

      it("delivers any task as it was enqueued and keeps any output", async () => {
        await fc.assert(
          fc.asyncProperty(anyTaskId, taskInput, jsonValue, (taskId, input, output) =>
            onFreshQueue(async (queue) => {
              await queue.enqueue({ id: taskId, input });
              const [lease, ...more] = await queue.lease("a", { max: 10, waitMs: 0 });
              expect(more).toEqual([]);
              expect(lease).toMatchObject({ taskId, attempt: 1 });
              expect(lease!.input).toEqual(input);
              expect(await queue.finish(lease!, { status: "succeeded", output })).toBe("accepted");
              expect(await queue.record(taskId)).toEqual({
                taskId,
                status: "succeeded",
                attempts: 1,
                output,
              });
            }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("retries after any short delay, fractions included, counting every attempt up to the dead letter", async () => {
        await fc.assert(
          fc.asyncProperty(
            anyTaskId,
            fc.array(shortDelayMs, { minLength: 1, maxLength: 3 }),
            (taskId, delays) =>
              onFreshQueue(async (queue) => {
                await queue.enqueue({ id: taskId, input: { text: "flaky" } });
                let [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
                for (const [index, delayMs] of delays.entries()) {
                  const error = { tag: "ModelUnavailable", reason: `attempt ${index + 1} failed` };
                  expect(await queue.retry(lease!, error, delayMs)).toBe("accepted");
                  [lease] = await leaseWithin(queue, "w", 3_000);
                  expect(lease).toMatchObject({ taskId, attempt: index + 2 });
                }
                const last = { tag: "ModelUnavailable", reason: "gave up" };
                expect(await queue.bury(lease!, last)).toBe("accepted");
                expect(await queue.record(taskId)).toMatchObject({
                  status: "dead",
                  attempts: delays.length + 1,
                  error: last,
                });
                expect(await queue.deadLetters()).toEqual([
                  expect.objectContaining({ taskId, attempts: delays.length + 1, error: last }),
                ]);
              }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("holds a retry with a huge delay back, without overflowing, until it is withdrawn", async () => {
        await fc.assert(
          fc.asyncProperty(anyTaskId, farDelayMs, (taskId, delayMs) =>
            onFreshQueue(async (queue) => {
              await queue.enqueue({ id: taskId, input: { text: "later" } });
              const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
              const error = { tag: "RateLimited", reason: "come back much later" };
              expect(await queue.retry(lease!, error, delayMs)).toBe("accepted");
              expect(await queue.record(taskId)).toMatchObject({ status: "delayed", attempts: 1, error });
              expect(await queue.lease("w", { max: 1, waitMs: 0 })).toEqual([]);
              expect(await queue.stats()).toMatchObject({ delayed: 1, leased: 0 });
              expect(await queue.withdraw(taskId, "not needed")).toBe("withdrawn");
              expect(await queue.stats()).toMatchObject({ delayed: 0, ready: 0 });
            }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("refuses a delay that is not a finite number with a RangeError, and keeps the lease", async () => {
        await queue.enqueue({ id: "nan", input: { text: "x" } });
        const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
        const error = { tag: "ModelUnavailable", reason: "down" };
        for (const delayMs of [Number.NaN, Number.POSITIVE_INFINITY])
          await expect(queue.retry(lease!, error, delayMs)).rejects.toThrow(RangeError);
        expect(await queue.finish(lease!, { status: "succeeded", output: 1 })).toBe("accepted");
      });
    });

    it("waits for work when there is none, and returns when it arrives or the signal aborts", async () => {
      const waiting = queue.lease("w", { max: 1, waitMs: 5_000 });
      await queue.enqueue({ id: "arrives", input: { text: "x" } });
      expect((await waiting).map((lease) => lease.taskId)).toEqual(["arrives"]);
      const controller = new AbortController();
      const idle = queue.lease("w", { max: 1, waitMs: 5_000, signal: controller.signal });
      controller.abort();
      expect(await idle).toEqual([]);
    });
  });
};
