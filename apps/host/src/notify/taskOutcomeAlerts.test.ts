// Scheduled runs' outcomes on the notifier across restarts: a run marked before it was queued and
// finished while no host followed it is raised at the next start, once even when two hosts resume it
// at the same time (the outbox keeps one alert per task id); a followed run is raised once, at its
// final outcome, not at a retry; `failed` leaves a success alone and
// raises a dead letter as a warning; a run the queue refused leaves no mark, and a mark whose task
// never reached the queue (the host died in between) is dropped at the next start.
import { EventBus, MemorySnapshotStore, silentLogger } from "@troupe/runtime";
import { MemoryOutboxStore, Notifier, type NotifyReceipt, type Sink } from "@troupe/runtime/notify";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { describe, expect, it, vi } from "vitest";
import { createTaskOutcomeAlerts, type WatchedRun } from "./taskOutcomeAlerts.ts";

const sink: Sink = {
  name: "phone",
  format: { maxLength: 1_000, style: "plain" },
  send: async () => ({ kind: "ok" }),
};

const setup = () => {
  const store = new MemorySnapshotStore();
  const queue = new MemoryWorkQueue();
  const outbox = new MemoryOutboxStore();
  const notifier = new Notifier({ store: outbox, sinks: [sink] });
  const receipts: NotifyReceipt[] = [];
  const bus = new EventBus();
  const host = () =>
    createTaskOutcomeAlerts({
      store,
      queue,
      bus,
      notifier: {
        notify: async (alert) => {
          const receipt = await notifier.notify(alert);
          receipts.push(receipt);
          return receipt;
        },
      },
      format: (agent, output) => `${agent}: ${(output as { text: string }).text.length} characters`,
      logger: silentLogger,
    });
  /** Queue the task and end it as `ending` says, with no host following it. */
  const run = async (taskId: string, ending: "succeeded" | "dead") => {
    await queue.enqueue({ id: taskId, input: { id: taskId, text: "report", agent: "research" } });
    const [lease] = await queue.lease("worker", { max: 1, waitMs: 0 });
    if (ending === "succeeded")
      await queue.finish(lease!, { status: "succeeded", output: { text: "all fine" } });
    else await queue.bury(lease!, { tag: "ModelMissing", reason: "no model for research" });
  };
  return { store, queue, bus, outbox, receipts, host, run };
};

const watched = (taskId: string, notify: WatchedRun["notify"]): WatchedRun => ({
  taskId,
  agent: "research",
  label: "research · scheduled job-1 (0 3 * * *)",
  notify,
});

describe("scheduled runs' outcomes on the notifier", () => {
  it("raises a run that ended while no host followed it at the next start, once though two hosts resume it", async () => {
    const { store, outbox, receipts, host, run } = setup();
    const before = host();
    await before.watch(watched("t-1", "all"), async () => {});
    before.stop(); // the host went down before the run ended
    await run("t-1", "succeeded");

    const [one, two] = [host(), host()];
    await Promise.all([one.resume(), two.resume()]);
    expect(receipts.reduce((added, receipt) => added + receipt.added, 0)).toBe(1);
    expect(await outbox.alert("task~t-1")).toMatchObject({
      severity: "info",
      source: "research",
      title: "research · scheduled job-1 (0 3 * * *) done",
      text: "research: 8 characters",
    });
    expect(await store.keys("notify/task/")).toEqual([]);
  });

  it("follows a run through its retries and raises its final outcome once", async () => {
    const { queue, bus, receipts, host } = setup();
    const alerts = host();
    await alerts.watch(watched("t-r", "all"), () =>
      queue.enqueue({ id: "t-r", input: { id: "t-r", text: "report", agent: "research" } }),
    );
    const [first] = await queue.lease("worker", { max: 1, waitMs: 0 });
    await queue.retry(first!, { tag: "ModelBusy", reason: "busy" }, 0);
    const [second] = await queue.lease("worker", { max: 1, waitMs: 0 });
    await queue.finish(second!, { status: "succeeded", output: { text: "fine" } });
    bus.publish({ type: "task.recorded", taskId: "t-r", status: "succeeded" }); // as the worker does
    await vi.waitFor(() => expect(receipts.map((receipt) => receipt.alertId)).toEqual(["task~t-r"]));
    alerts.stop();
  });

  it("with `failed`, leaves a success alone and raises a dead letter as a warning", async () => {
    const { store, outbox, receipts, host, run } = setup();
    const before = host();
    await before.watch(watched("t-ok", "failed"), async () => {});
    await before.watch(watched("t-dead", "failed"), async () => {});
    before.stop();
    await run("t-ok", "succeeded");
    await run("t-dead", "dead");
    await host().resume();
    expect(receipts.map((receipt) => receipt.alertId)).toEqual(["task~t-dead"]);
    expect(await outbox.alert("task~t-dead")).toMatchObject({
      severity: "warning",
      title: "research · scheduled job-1 (0 3 * * *) failed",
      text: "Failed after 1 attempt: no model for research",
    });
    expect(await store.keys("notify/task/")).toEqual([]);
  });

  it("marks nothing for `off` or a run the queue refused, and drops a mark whose task never reached the queue", async () => {
    const { store, receipts, host } = setup();
    const before = host();
    await before.watch(watched("t-off", "off"), async () => {});
    await before.watch(watched("t-never", "all"), async () => {});
    await expect(
      before.watch(watched("t-refused", "all"), async () => {
        throw new Error("the queue is out of reach");
      }),
    ).rejects.toThrow("the queue is out of reach");
    before.stop();
    expect(await store.keys("notify/task/")).toEqual(["notify/task/t-never"]);
    await host().resume();
    expect(await store.keys("notify/task/")).toEqual([]);
    expect(receipts).toEqual([]);
  });
});
