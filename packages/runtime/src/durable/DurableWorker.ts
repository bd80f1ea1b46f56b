// The bridge from a durable WorkQueue to a Team: lease tasks, run them on the team, and settle
// each lease with its outcome — finished, retried after an exponential backoff with jitter when its
// error is transient (`task.retrying`: 🔁 with the next attempt and the reason), or buried in the
// dead-letter list (`task.dead_lettered`: the task's real end). Leases are renewed while tasks run;
// a lease that was taken over cancels the local run, and a late outcome is refused by the queue's
// fencing check. While the team does not run (escalated, restarting) nothing new is leased.
//
// Lease sizing: the worker leases only what its team can start now — one task per idle agent, less
// the leased tasks already waiting here — so work left in the queue goes to whichever host has a
// free agent, and a host that dies leaves few tasks it never started behind its lease. Every lease
// is announced (`task.leased`: a chat surface shows 👀). A leased task whose agent is busy (its agent
// is known only once it is leased) waits here, not in the agent's mailbox, and is renewed like a
// running one; right before it starts, its lease is renewed once more, so a worker resumed after a
// pause longer than the lease (SIGSTOP) never starts a task that another host has taken over.
import { isTroupeError, type TroupeError } from "../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { Run, Team } from "../supervisor/Team.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import type { SnapshotStore } from "./SnapshotStore.ts";
import type { FailureInfo, Lease, Settlement, WorkQueue } from "./WorkQueue.ts";

export interface WorkerOptions {
  readonly team: Team;
  readonly queue: WorkQueue;
  /** A stable name for this process (host name + instance), so it finds its own leases after a restart. */
  readonly consumer: string;
  /**
   * At most this many tasks leased at once, running or waiting for their agent (default 8). Fewer
   * are leased while the team has fewer idle agents.
   */
  readonly concurrency?: number;
  /** Deliveries before a failing task is buried (default 5). */
  readonly maxAttempts?: number;
  /** Backoff between deliveries: base · 2^(attempt−1), capped, with equal jitter (default 1s, 1m). */
  readonly backoff?: { readonly base?: Duration; readonly max?: Duration };
  /** How long one lease call waits for work (default 1s). */
  readonly pollWait?: Duration;
  /** How often running tasks' leases are renewed (default 5s; keep it well under the queue's lease time). */
  readonly renewEvery?: Duration;
  readonly logger?: Logger;
  /** Saved runs of machine-form agents, resumed when their task is delivered again (the team's store). */
  readonly snapshots?: SnapshotStore;
}

export interface Worker {
  /** Stop leasing, let running tasks finish and settle, then resolve. */
  stop(): Promise<void>;
  /**
   * Cancel a task this worker leased that has not started (it waits for its agent): its lease is
   * settled as cancelled and `task.cancelled` published. False when this worker holds no such task.
   */
  cancel(taskId: string, reason: string): Promise<boolean>;
  /** Tasks running now. */
  readonly inFlight: number;
  /** Tasks leased here that wait for their agent to be free. */
  readonly waiting: number;
}

export const backoffDelay = (
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number => {
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return exponential / 2 + random() * (exponential / 2);
};

export const startWorker = (options: WorkerOptions): Worker => {
  const { team, queue, consumer } = options;
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseMs = toMillis(options.backoff?.base ?? "1s", "backoff.base");
  const maxMs = toMillis(options.backoff?.max ?? "1m", "backoff.max");
  const waitMs = toMillis(options.pollWait ?? "1s", "pollWait");
  const logger = options.logger ?? silentLogger;
  const stopping = new AbortController();
  const running = new Map<string, { lease: Lease; settled: Promise<void> }>();
  /** Leased here, waiting for their agent to be free, in lease order. */
  const waiting = new Map<string, Lease>();
  let wakeLoop: (() => void) | undefined;
  const wake = () => wakeLoop?.();

  /** Wait `ms`, or less when the worker stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener("abort", done, { once: true });
    });

  /** Until the team takes tasks again (it is escalated, or restarting); false when the worker stops first. */
  const teamRuns = async () => {
    while (!team.status().accepting && !stopping.signal.aborted) await pause(waitMs);
    return !stopping.signal.aborted;
  };

  const settle = async (
    lease: Lease,
    outcome: () => Promise<Settlement>,
    recorded?: "succeeded" | "cancelled" | "dead",
  ) => {
    const settlement = await outcome();
    if (settlement === "accepted" && recorded) {
      team.bus.publish({ type: "task.recorded", taskId: lease.taskId, status: recorded });
    }
    if (settlement === "fenced") {
      team.bus.publish({
        type: "task.result_refused",
        taskId: lease.taskId,
        fence: lease.fence,
        reason: `the lease of task ${lease.taskId} was taken over; this worker's outcome was refused`,
      });
      logger.log("warn", "late outcome refused by fencing", {
        taskId: lease.taskId,
        fence: lease.fence,
        consumer,
      });
    }
  };

  const failed = (lease: Lease, error: TroupeError, agent: string | null) => {
    const info: FailureInfo = { tag: error._tag, reason: error.reason };
    // Only a transient error is worth another delivery (a missing model needs `ollama pull` first;
    // an approval that expired stays expired): the error's tag says which (errorKinds).
    if (!error.transient || lease.attempt >= maxAttempts) {
      return settle(lease, async () => {
        const settlement = await queue.bury(lease, info);
        if (settlement === "accepted") {
          team.bus.publish({
            type: "task.dead_lettered",
            taskId: lease.taskId,
            attempts: lease.attempt,
            error: info,
          });
        }
        return settlement;
      });
    }
    return settle(lease, async () => {
      const settlement = await queue.retry(lease, info, backoffDelay(lease.attempt, baseMs, maxMs));
      if (settlement === "accepted") {
        team.bus.publish({
          type: "task.retrying",
          taskId: lease.taskId,
          agent,
          attempt: lease.attempt + 1,
          reason: error.reason,
        });
      }
      return settlement;
    });
  };

  /** The agent the failed run was on, from its task's events. */
  const agentOf = async (run: Run): Promise<string | null> => {
    let agent: string | null = null;
    for await (const event of run.events) if ("agent" in event && event.agent) agent = event.agent;
    return agent;
  };

  const run = async (lease: Lease) => {
    let run: Run | undefined;
    // A lease taken as the team escalated is held (and renewed) until the team is back: the task
    // waits, instead of failing on a team that takes none. Stopped meanwhile: the lease stays open.
    // A running team gets the task in this same turn, so its agent is busy before the next lease.
    if (!team.status().accepting && !(await teamRuns())) return;
    try {
      const snapshot = lease.attempt > 1 ? await options.snapshots?.load(lease.taskId) : undefined;
      run = team.submit({ ...lease.input, id: lease.taskId }, { snapshot });
      const output = await run.result;
      await settle(lease, () => queue.finish(lease, { status: "succeeded", output }), "succeeded");
    } catch (error) {
      if (!isTroupeError(error)) {
        logger.log("error", "a task failed with a non-Troupe error", { taskId: lease.taskId, error });
      } else if (error._tag === "ShuttingDown") {
        // Interrupted, not failed: the lease stays open, so this consumer (after its restart) or
        // another one (after the lease expires) runs the task again, resuming any saved run.
        logger.log("info", "task interrupted by shutdown; left in the queue", { taskId: lease.taskId });
      } else if (error._tag === "Cancelled") {
        await settle(
          lease,
          () => queue.finish(lease, { status: "cancelled", reason: error.reason }),
          "cancelled",
        );
      } else {
        await failed(lease, error, run ? await agentOf(run) : null);
      }
    }
  };

  const start = (lease: Lease) => {
    if (running.has(lease.taskId)) return;
    const settled = run(lease)
      .catch((error: unknown) =>
        logger.log("error", "settling a lease failed; it will be redelivered", {
          taskId: lease.taskId,
          error,
        }),
      )
      .finally(() => {
        running.delete(lease.taskId);
        wake();
      });
    running.set(lease.taskId, { lease, settled });
  };

  const dropLost = (lease: Lease) => {
    waiting.delete(lease.taskId);
    logger.log("warn", "a leased task was taken over before it started; not starting it here", {
      taskId: lease.taskId,
      fence: lease.fence,
      consumer,
    });
    wake();
  };

  /** Start the waiting tasks whose agent is free now, each after renewing its lease. */
  const startWaiting = async () => {
    for (const lease of [...waiting.values()]) {
      if (stopping.signal.aborted) return;
      if (!waiting.has(lease.taskId) || !team.startsNow(lease.input)) continue;
      const kept = await queue.renew(lease, consumer).catch((error: unknown) => {
        logger.log("warn", "renewing a lease before its task starts failed; it keeps waiting", {
          taskId: lease.taskId,
          error,
        });
        return undefined;
      });
      if (kept === undefined || !waiting.has(lease.taskId) || stopping.signal.aborted) continue;
      if (!kept) {
        dropLost(lease);
        continue;
      }
      waiting.delete(lease.taskId);
      start(lease);
    }
  };
  /**
   * One pass at a time; a pass asked for while one runs follows it. Nothing waits for a pass (a
   * renewal may hang while the store is down): after stop() it starts nothing.
   */
  let pass: Promise<void> = Promise.resolve();
  const startWaitingSoon = () => {
    pass = pass
      .then(startWaiting)
      .catch((error: unknown) => logger.log("error", "starting a waiting task failed", { consumer, error }));
    return pass;
  };

  const renewAll = async () => {
    for (const { lease } of [...running.values()]) {
      const kept = await queue.renew(lease, consumer).catch(() => true);
      if (!kept)
        team.cancel(lease.taskId, `the lease of task ${lease.taskId} was taken over by another worker`);
    }
    for (const lease of [...waiting.values()]) {
      const kept = await queue.renew(lease, consumer).catch(() => true);
      if (!kept && waiting.has(lease.taskId)) dropLost(lease);
    }
  };
  const renewTimer = setInterval(() => void renewAll(), toMillis(options.renewEvery ?? "5s", "renewEvery"));
  renewTimer.unref();

  // An agent that became free (or a breaker that closed) may let a waiting task start, or make room.
  const unsubscribe = team.bus.subscribe((event) => {
    if ((event.type === "agent.state" && event.state === "idle") || event.type === "breaker.changed") {
      if (waiting.size > 0) void startWaitingSoon();
      wake();
    }
  });

  /** How many more tasks to lease now: the team's idle agents not yet spoken for, within `concurrency`. */
  const room = () => Math.min(concurrency - running.size - waiting.size, team.idleAgents() - waiting.size);

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      // An escalated team takes no tasks until it restarts: they wait in the queue meanwhile.
      if (!(await teamRuns())) break;
      if (waiting.size > 0) void startWaitingSoon();
      const max = room();
      if (max <= 0) {
        // Woken when a task ends or an agent becomes free; the timeout is a safety net.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            stopping.signal.removeEventListener("abort", done);
            wakeLoop = undefined;
            resolve();
          };
          const timer = setTimeout(done, waitMs);
          wakeLoop = done;
          stopping.signal.addEventListener("abort", done, { once: true });
        });
        continue;
      }
      try {
        const leases = await queue.lease(consumer, { max, waitMs, signal: stopping.signal });
        for (const lease of leases) {
          team.bus.publish({ type: "task.leased", taskId: lease.taskId, consumer, attempt: lease.attempt });
          if (stopping.signal.aborted || !team.startsNow(lease.input)) waiting.set(lease.taskId, lease);
          else start(lease);
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        logger.log("warn", "leasing from the work queue failed; retrying", { consumer, error });
        await pause(Math.min(maxMs, baseMs));
      }
    }
  })();

  return {
    get inFlight() {
      return running.size;
    },
    get waiting() {
      return waiting.size;
    },
    async cancel(taskId, reason) {
      const lease = waiting.get(taskId);
      if (!lease) return false;
      waiting.delete(taskId);
      const settlement = await queue.finish(lease, { status: "cancelled", reason });
      if (settlement === "accepted") {
        team.bus.publish({ type: "task.cancelled", taskId, agent: null, reason });
        team.bus.publish({ type: "task.recorded", taskId, status: "cancelled" });
      }
      wake();
      return settlement === "accepted";
    },
    async stop() {
      stopping.abort();
      await loop;
      unsubscribe();
      if (waiting.size > 0)
        logger.log("info", "leased tasks that had not started stay in the queue for the next worker", {
          taskIds: [...waiting.keys()],
          consumer,
        });
      waiting.clear();
      await Promise.all([...running.values()].map(({ settled }) => settled));
      clearInterval(renewTimer);
    },
  };
};
