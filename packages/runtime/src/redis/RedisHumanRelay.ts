// Questions, approvals and votes of tasks that run on any host, answered by the one host that holds
// the chat surface (the Discord gateway). Every host's team asks through `relay.gateway`: the request
// (its kind, the task, the agent and what is asked) is written to the hash `troupe:<ns>:human:pending`
// and a notice on `troupe:<ns>:human` wakes the holder, which answers it with its own HumanGateway
// (`relay.serve(local)` while it holds the surface). The answer goes to `troupe:<ns>:human:answers`
// with HSETNX, only while the request is still pending, so it is written once; the asking host reads
// it and deletes both. Pub/sub only wakes the other side: both also look at the hashes every few
// seconds, so a lost notice delays an answer but never loses it.
// - No holder: the request waits in the hash; the next host to serve takes it at once.
// - The holder stops serving (dies, loses the lease): it writes nothing; the next holder serves the
//   request again (an approval finds its message again through the shared store).
// - The task ends (cancelled, deadline, approval expired): the asking host withdraws the request and
//   the holder stops asking.
// - A vote closes at its expiry on the holder, which answers the tally; with no holder, the asking
//   host counts the votes it already had once a grace has passed. A holder drops an approval or vote
//   past its expiry and the grace that nobody collected (its asking host died).
// A request's id is its kind, task and what is asked, so a task run again after its host died takes
// over its own request instead of asking a second time.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { isTroupeError, TroupeError, type TroupeErrorTag } from "../errors/TroupeError.ts";
import type { ApprovalAnswer, ApprovalRequest } from "../human/Approval.ts";
import { type PollRequest, type PollResult, PollTally } from "../human/Poll.ts";
import type { PollContext } from "../human/requestPoll.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import type { Task } from "../task/Task.ts";
import { runScript, script } from "./queueScripts.ts";

/** Write the answer once, and only while the request is still pending (not withdrawn). */
const ANSWER = script(
  "human-answer",
  `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) end
return 0`,
);

type Forwarded =
  | { readonly kind: "ask"; readonly question: string }
  | { readonly kind: "approve"; readonly request: ApprovalRequest }
  | { readonly kind: "poll"; readonly request: PollRequest };

type Pending = Forwarded & { readonly id: string; readonly task: Task; readonly agent: string };

type Outcome =
  | { readonly ok: unknown }
  | { readonly error: { readonly tag?: string; readonly reason: string } };

interface Notice {
  readonly kind: "asked" | "answered" | "withdrawn";
  readonly id: string;
}

export interface HumanRelayOptions {
  /** A connection for commands; the relay subscribes on a `duplicate()` of it. */
  readonly redis: Redis;
  readonly namespace: string;
  /** How often each side looks at the shared record in case a notice was lost (default 2s). */
  readonly recheckEveryMs?: number;
  /**
   * How long past an approval's or a vote's expiry its request is kept (default 10s): a host asking
   * for a vote then stops waiting for the holder's tally and counts only the votes it already had (no
   * holder at all), and a holder drops a request nobody will collect (its asking host died).
   */
  readonly expiryGraceMs?: number;
  readonly logger?: Logger;
}

/** A serving holder: stop serving (nothing is answered; the requests stay pending for the next one). */
export interface HumanRelayServing {
  stop(): Promise<void>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const idOf = (kind: Forwarded["kind"], taskId: string, what: string) =>
  `${kind}/${taskId}/${createHash("sha256").update(what).digest("hex").slice(0, 16)}`;

const isPending = (value: unknown): value is Pending =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as Pending).id === "string" &&
  typeof (value as Pending).agent === "string" &&
  typeof (value as Pending).task?.id === "string" &&
  ["ask", "approve", "poll"].includes((value as Pending).kind);

const parse = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
};

/** The answer as the asking host gets it: the value, or the holder's error again. */
const settle = (outcome: Outcome): unknown => {
  if ("ok" in outcome) return outcome.ok;
  const { tag, reason } = outcome.error;
  throw tag === undefined ? new Error(reason) : new TroupeError(tag as TroupeErrorTag, reason);
};

/** Resolves on `wake()`, after `ms`, or when `signal` aborts; a wake before the wait is not lost. */
class Wakeup {
  #woken = false;
  #resolve: (() => void) | undefined;

  wake() {
    this.#woken = true;
    this.#resolve?.();
  }

  wait(ms: number, signals: readonly AbortSignal[]): Promise<void> {
    if (this.#woken || signals.some((signal) => signal.aborted)) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const signal of signals) signal.removeEventListener("abort", done);
        this.#resolve = undefined;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const signal of signals) signal.addEventListener("abort", done, { once: true });
      this.#resolve = done;
    });
  }
}

export class RedisHumanRelay {
  /** The team's HumanGateway on every host: each request goes to whichever host serves. */
  readonly gateway: HumanGateway;
  readonly #redis: Redis;
  readonly #pending: string;
  readonly #answers: string;
  readonly #channel: string;
  readonly #recheckMs: number;
  readonly #expiryGraceMs: number;
  readonly #logger: Logger;
  readonly #listeners = new Set<(notice: Notice) => void>();
  #subscriber: Promise<Redis> | undefined;
  #closed = false;

  constructor(options: HumanRelayOptions) {
    this.#redis = options.redis;
    const prefix = `troupe:${options.namespace}:human`;
    this.#pending = `${prefix}:pending`;
    this.#answers = `${prefix}:answers`;
    this.#channel = prefix;
    this.#recheckMs = options.recheckEveryMs ?? 2_000;
    this.#expiryGraceMs = options.expiryGraceMs ?? 10_000;
    this.#logger = options.logger ?? silentLogger;
    this.gateway = {
      ask: (question, { task, agent, signal }) =>
        this.#forward<string>({ kind: "ask", question }, idOf("ask", task.id, question), task, agent, signal),
      approve: (request, { task, agent, signal }) =>
        this.#forward<ApprovalAnswer>(
          { kind: "approve", request },
          idOf("approve", task.id, request.hash),
          task,
          agent,
          signal,
        ),
      poll: (request, context) => this.#forwardPoll(request, context),
    };
  }

  /** Answer every pending request, and each new one, with `local` until stopped. */
  serve(local: HumanGateway): HumanRelayServing {
    const serving = new Map<string, { readonly controller: AbortController; readonly done: Promise<void> }>();
    /** Answered here and maybe not yet collected: never served again by this holder. */
    const answered = new Set<string>();
    let stopped = false;

    const take = (raw: string) => {
      const request = parse(raw);
      if (!isPending(request)) {
        this.#logger.log("warn", "human relay: a malformed forwarded request was skipped", {});
        return;
      }
      if (stopped || serving.has(request.id) || answered.has(request.id) || this.#stale(request)) return;
      const controller = new AbortController();
      const done = this.#answer(local, request, controller.signal)
        .then((written) => {
          if (written) answered.add(request.id);
        })
        .catch((error: unknown) =>
          this.#logger.log("warn", "human relay: an answer could not be written; asking again later", {
            id: request.id,
            error: errorText(error),
          }),
        )
        .finally(() => serving.delete(request.id));
      serving.set(request.id, { controller, done });
    };

    const scan = async () => {
      // Only what was served before the read can be missing from it because it was withdrawn.
      const before = [...serving];
      const [pending, done] = await Promise.all([
        this.#redis.hgetall(this.#pending),
        this.#redis.hkeys(this.#answers),
      ]);
      for (const [id, { controller }] of before)
        if (!(id in pending)) controller.abort(new Error(`request ${id} withdrawn`));
      for (const id of answered) if (!(id in pending)) answered.delete(id);
      for (const [id, raw] of Object.entries(pending)) {
        const request = parse(raw);
        if (isPending(request) && this.#stale(request))
          await this.#withdraw(id, "expired, and nobody collected it");
        else if (!done.includes(id)) take(raw);
      }
    };
    const rescan = () =>
      void scan().catch((error: unknown) =>
        this.#logger.log("warn", "human relay: the pending requests could not be read", {
          error: errorText(error),
        }),
      );

    const unlisten = this.#listen((notice) => {
      if (notice.kind === "withdrawn") serving.get(notice.id)?.controller.abort(new Error("withdrawn"));
      if (notice.kind !== "asked") return;
      void this.#redis.hget(this.#pending, notice.id).then(
        (raw) => (raw === null ? undefined : take(raw)),
        () => {}, // the next scan finds it
      );
    });
    void this.#subscribed().then(rescan, rescan);
    const timer = setInterval(rescan, this.#recheckMs);
    timer.unref();
    this.#logger.log("info", "human relay: serving forwarded questions, approvals and votes", {});

    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        unlisten();
        const running = [...serving.values()];
        for (const { controller } of running) controller.abort(new Error("this host stopped serving"));
        await Promise.all(running.map(({ done }) => done));
        this.#logger.log("info", "human relay: stopped serving; open requests wait for the next holder", {
          left: running.length,
        });
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  /** Ask `local`, and write its answer unless the request was withdrawn or serving stopped. */
  async #answer(local: HumanGateway, request: Pending, signal: AbortSignal): Promise<boolean> {
    const { id, task, agent } = request;
    this.#logger.log("info", "human relay: serving a forwarded request", { id, taskId: task.id, agent });
    let outcome: Outcome;
    try {
      outcome = { ok: await this.#ask(local, request, signal) };
    } catch (error) {
      // Another host holds the surface now: the request stays pending, and that host asks it.
      if (signal.aborted || isTroupeError(error, "SurfaceLost")) return false;
      outcome = {
        error: isTroupeError(error)
          ? { tag: error._tag, reason: error.reason }
          : { reason: errorText(error) },
      };
    }
    if (signal.aborted) return false;
    const written = await runScript(
      this.#redis,
      ANSWER,
      [this.#pending, this.#answers],
      [id, JSON.stringify(outcome)],
    );
    if (written === 1) await this.#notify({ kind: "answered", id });
    return written === 1;
  }

  #ask(local: HumanGateway, request: Pending, signal: AbortSignal): Promise<unknown> {
    const context = { task: request.task, agent: request.agent, signal };
    if (request.kind === "ask") return local.ask(request.question, context);
    if (request.kind === "approve") {
      if (!local.approve) throw new Error("the host holding the surface cannot answer approvals");
      return local.approve(request.request, context);
    }
    if (!local.poll) throw new Error("the host holding the surface cannot take votes");
    const closesIn = Math.max(0, request.request.expiresAt - Date.now());
    return local.poll(request.request, { ...context, expiry: AbortSignal.timeout(closesIn) });
  }

  async #forward<T>(
    forwarded: Forwarded,
    id: string,
    task: Task,
    agent: string,
    signal: AbortSignal,
    giveUp?: { readonly signal: AbortSignal; readonly value: () => T },
  ): Promise<T> {
    signal.throwIfAborted();
    const wakeup = new Wakeup();
    const unlisten = this.#listen((notice) => {
      if (notice.id === id && notice.kind === "answered") wakeup.wake();
    });
    try {
      await this.#subscribed().catch(() => {}); // without it, the rechecks still find the answer
      const pending: Pending = { ...forwarded, id, task, agent };
      await this.#redis.hset(this.#pending, id, JSON.stringify(pending));
      await this.#notify({ kind: "asked", id });
      this.#logger.log("info", "human relay: request forwarded to the host holding the surface", {
        id,
        taskId: task.id,
        agent,
      });
      let unreachable = false;
      for (;;) {
        // Redis out of reach for a while: keep waiting (the task's deadline or the expiry still ends it).
        const raw = await this.#redis.hget(this.#answers, id).catch((error: unknown) => {
          if (!unreachable)
            this.#logger.log("warn", "human relay: cannot read the answer; still waiting", {
              id,
              error: errorText(error),
            });
          unreachable = true;
          return null;
        });
        if (raw !== null) {
          await this.#forget(id).catch(() => {}); // answered already: a leftover is never served again
          return settle(parse(raw) as Outcome) as T;
        }
        signal.throwIfAborted();
        if (giveUp?.signal.aborted) {
          await this.#withdraw(id, "past its expiry, and no tally came");
          return giveUp.value();
        }
        await wakeup.wait(this.#recheckMs, giveUp ? [signal, giveUp.signal] : [signal]);
      }
    } catch (error) {
      if (signal.aborted)
        await this.#withdraw(id, "the task ended").catch((failure: unknown) =>
          this.#logger.log("warn", "human relay: a request could not be withdrawn", {
            id,
            error: errorText(failure),
          }),
        );
      throw error;
    } finally {
      unlisten();
    }
  }

  /** A vote closes at its expiry on the holder; past that and a grace, only the votes already cast count. */
  #forwardPoll(request: PollRequest, context: PollContext): Promise<PollResult> {
    const graceOver = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const startGrace = () => {
      timer = setTimeout(() => graceOver.abort(), this.#expiryGraceMs);
    };
    if (context.expiry.aborted) startGrace();
    else context.expiry.addEventListener("abort", startGrace, { once: true });
    return this.#forward<PollResult>(
      { kind: "poll", request },
      idOf("poll", context.task.id, JSON.stringify([request.question, request.choices])),
      context.task,
      context.agent,
      context.signal,
      { signal: graceOver.signal, value: () => new PollTally(request).result("expiry") },
    ).finally(() => {
      clearTimeout(timer);
      context.expiry.removeEventListener("abort", startGrace);
    });
  }

  /** An approval or a vote past its expiry and the grace: its asking host would have withdrawn it. */
  #stale(request: Pending): boolean {
    return request.kind !== "ask" && Date.now() > request.request.expiresAt + this.#expiryGraceMs;
  }

  /** Delete the request and its answer. */
  #forget(id: string) {
    return this.#redis.multi().hdel(this.#pending, id).hdel(this.#answers, id).exec();
  }

  async #withdraw(id: string, why: string) {
    await this.#forget(id);
    await this.#notify({ kind: "withdrawn", id });
    this.#logger.log("info", "human relay: request withdrawn", { id, why });
  }

  #notify(notice: Notice) {
    return this.#redis.publish(this.#channel, JSON.stringify(notice));
  }

  #listen(listener: (notice: Notice) => void): () => void {
    this.#listeners.add(listener);
    void this.#subscribed().catch(() => {});
    return () => this.#listeners.delete(listener);
  }

  /** The subscriber connection, subscribed to the notices (ioredis subscribes again after a reconnect). */
  #subscribed(): Promise<Redis> {
    if (this.#closed) return Promise.reject(new Error("the human relay is closed"));
    this.#subscriber ??= (async () => {
      const subscriber = this.#redis.duplicate();
      subscriber.on("error", () => {}); // the rechecks carry on over the command connection
      subscriber.on("message", (_channel: string, message: string) => {
        const notice = parse(message) as Notice | undefined;
        if (typeof notice?.id !== "string") return;
        for (const listener of [...this.#listeners]) listener(notice);
      });
      try {
        await subscriber.subscribe(this.#channel);
        return subscriber;
      } catch (error) {
        this.#subscriber = undefined; // tried again on the next request
        subscriber.disconnect();
        throw error;
      }
    })();
    return this.#subscriber;
  }
}
