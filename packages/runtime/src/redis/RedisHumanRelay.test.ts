// The human relay on a real Redis, between a host that asks (its team's gateway) and hosts that serve
// (the Discord gateway's holder): a question, an approval and a vote are answered by the serving host;
// a request asked while nobody serves is answered once someone does; a holder that stops mid-question
// leaves it to the next one; a cancelled task's request is withdrawn; two holders answering (during a
// handover) give one answer; an error on the holder reaches the task with its tag, except SurfaceLost
// (another host holds the surface now), which leaves the request to it. Past its expiry, a
// vote nobody serves closes with the votes already cast, and a holder drops an expired approval whose
// asking host died.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isTroupeError, TroupeError } from "../errors/TroupeError.ts";
import { bindAction } from "../human/Approval.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import { createTask } from "../task/Task.ts";
import { deleteNamespace } from "./deleteNamespace.ts";
import { RedisHumanRelay } from "./RedisHumanRelay.ts";

const URL = "redis://127.0.0.1:6379";

let redis: Redis;
let namespace: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  redis = new Redis(URL);
  namespace = `human-relay-test-${randomUUID().slice(0, 8)}`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteNamespace(redis, namespace);
  await redis.quit();
});

/** A host's relay on its own connection, closed after the test. */
const hostWith = (options: { expiryGraceMs?: number; recheckEveryMs?: number } = {}) => {
  const connection = new Redis(URL);
  const relay = new RedisHumanRelay({ redis: connection, namespace, ...options });
  cleanups.push(async () => {
    await relay.close();
    connection.disconnect();
  });
  return { relay, connection };
};
const host = () => hostWith().relay;

interface Call {
  readonly kind: "ask" | "approve" | "poll";
  readonly what: unknown;
  readonly taskId: string;
  readonly signal: AbortSignal;
  answer(value: unknown): void;
  fail(error: unknown): void;
}

/** The holder's own gateway, as the test drives it: each request waits until the test answers it. */
const localGateway = () => {
  const calls: Call[] = [];
  let arrived = () => {};
  const call = (kind: Call["kind"], what: unknown, context: { task: { id: string }; signal: AbortSignal }) =>
    new Promise<never>((resolve, reject) => {
      context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
      calls.push({
        kind,
        what,
        taskId: context.task.id,
        signal: context.signal,
        answer: resolve,
        fail: reject,
      });
      arrived();
    });
  const gateway: HumanGateway = {
    ask: (question, context) => call("ask", question, context),
    approve: (request, context) => call("approve", request, context),
    poll: (request, context) => call("poll", request, context),
  };
  /** The n-th request this gateway got (1-based), once it is there. */
  const nth = (n: number) =>
    new Promise<Call>((resolve) => {
      const check = () => {
        if (calls.length >= n) resolve(calls[n - 1]!);
      };
      const before = arrived;
      arrived = () => {
        before();
        check();
      };
      check();
    });
  return { gateway, calls, nth };
};

/** Serve with `local` until the test ends (or stops it first). */
const serve = (relay: RedisHumanRelay, local: HumanGateway) => {
  const serving = relay.serve(local);
  cleanups.push(() => serving.stop());
  return serving;
};

const taskOf = (id: string) => createTask({ id, text: "deploy" }, { now: 0 }).task;
const context = (taskId: string, signal = new AbortController().signal) => ({
  task: taskOf(taskId),
  agent: "approver",
  signal,
});
const leftIn = async (what: "pending" | "answers") => redis.hlen(`troupe:${namespace}:human:${what}`);

describe("RedisHumanRelay", () => {
  it("forwards a question, an approval and a vote to the serving host and brings its answers back", async () => {
    const asking = host();
    const local = localGateway();
    serve(host(), local.gateway);

    const question = asking.gateway.ask("which region?", context("t1"));
    const asked = await local.nth(1);
    expect(asked).toMatchObject({ kind: "ask", what: "which region?", taskId: "t1" });
    asked.answer("eu-west");
    expect(await question).toBe("eu-west");

    const request = { ...bindAction({ kind: "deploy", target: "prod" }), expiresAt: Date.now() + 60_000 };
    const approval = asking.gateway.approve!(request, context("t1"));
    const approving = await local.nth(2);
    expect(approving.what).toEqual(request);
    approving.answer({ hash: request.hash, approved: true, by: "discord:ana" });
    expect(await approval).toEqual({ hash: request.hash, approved: true, by: "discord:ana" });

    const poll = {
      question: "ship it?",
      choices: ["yes", "no"],
      quorum: 1,
      expiresInMs: 60_000,
      roles: [],
      votes: [],
      expiresAt: Date.now() + 60_000,
    };
    const voted = asking.gateway.poll!(poll, { ...context("t1"), expiry: new AbortController().signal });
    const voting = await local.nth(3);
    expect(voting.what).toEqual(poll);
    const result = {
      question: "ship it?",
      winner: "yes",
      closedBy: "quorum",
      tally: [
        { choice: "yes", votes: 1 },
        { choice: "no", votes: 0 },
      ],
      votes: [{ voter: "discord:ana", choice: "yes" }],
    };
    voting.answer(result);
    expect(await voted).toEqual(result);
    expect([await leftIn("pending"), await leftIn("answers")]).toEqual([0, 0]);
  });

  it("keeps a request asked while no host serves and delivers it once one does", async () => {
    const asking = host();
    const question = asking.gateway.ask("which region?", context("t2"));
    await vi.waitFor(async () => expect(await leftIn("pending")).toBe(1));

    const local = localGateway();
    serve(host(), local.gateway);
    const asked = await local.nth(1);
    asked.answer("us-east");
    expect(await question).toBe("us-east");
    expect(local.calls).toHaveLength(1);
  });

  it("leaves a request to the next holder when the one asking it stops serving", async () => {
    const asking = host();
    const first = localGateway();
    const firstServing = serve(host(), first.gateway);
    const question = asking.gateway.ask("which region?", context("t3"));
    const askedFirst = await first.nth(1);

    await firstServing.stop(); // the lease was lost: stop asking, answer nothing
    expect(askedFirst.signal.aborted).toBe(true);
    expect([await leftIn("pending"), await leftIn("answers")]).toEqual([1, 0]);

    const next = localGateway();
    serve(host(), next.gateway);
    const askedNext = await next.nth(1);
    expect(askedNext).toMatchObject({ kind: "ask", what: "which region?", taskId: "t3" });
    askedNext.answer("ap-south");
    expect(await question).toBe("ap-south");
  });

  it("withdraws the request of a task that is cancelled, and the holder stops asking", async () => {
    const asking = host();
    const local = localGateway();
    serve(host(), local.gateway);
    const cancel = new AbortController();
    const question = asking.gateway.ask("which region?", context("t4", cancel.signal));
    const asked = await local.nth(1);

    cancel.abort(new TroupeError("Cancelled", "cancelled from Discord"));
    await expect(question).rejects.toMatchObject({ _tag: "Cancelled" });
    expect(await leftIn("pending")).toBe(0);
    await vi.waitFor(() => expect(asked.signal.aborted).toBe(true));
  });

  it("answers once when two holders answer the same request during a handover", async () => {
    const asking = host();
    const [one, two] = [localGateway(), localGateway()];
    serve(host(), one.gateway);
    const servingTwo = serve(host(), two.gateway);
    const question = asking.gateway.ask("which region?", context("t5"));
    const [askedOne, askedTwo] = await Promise.all([one.nth(1), two.nth(1)]);

    askedOne.answer("eu-west");
    expect(await question).toBe("eu-west");
    askedTwo.answer("us-east");
    await servingTwo.stop();
    expect([await leftIn("pending"), await leftIn("answers")]).toEqual([0, 0]);
  });

  it("fails the request with the holder's error, tag and all", async () => {
    const asking = host();
    const local = localGateway();
    serve(host(), local.gateway);
    const question = asking.gateway.ask("which region?", context("t6"));
    (await local.nth(1)).fail(
      new TroupeError("InvalidCommand", "task t6 has no thread to ask its question in"),
    );
    const error = await question.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "InvalidCommand")).toBe(true);
    expect((error as TroupeError).reason).toBe("task t6 has no thread to ask its question in");
  });

  it("leaves a request to the next holder when the holder's surface went to another host (SurfaceLost)", async () => {
    const asking = host();
    const first = localGateway();
    const firstServing = serve(hostWith({ recheckEveryMs: 50 }).relay, first.gateway);
    const question = asking.gateway.ask("which region?", context("t7"));
    const lost = new TroupeError("SurfaceLost", "discord: this host no longer holds the gateway");
    (await first.nth(1)).fail(lost);
    // Not answered: still pending, so the holder's next scan finds it again (the asking task waits on).
    const again = await Promise.race([
      first.nth(2),
      question.then(
        () => "answered",
        () => "failed",
      ),
    ]);
    expect(again).toMatchObject({ kind: "ask", taskId: "t7" });
    await firstServing.stop();
    expect([await leftIn("pending"), await leftIn("answers")]).toEqual([1, 0]);

    const next = localGateway();
    serve(host(), next.gateway);
    (await next.nth(1)).answer("ap-south");
    expect(await question).toBe("ap-south");
  });

  it("closes a vote nobody serves at its expiry with the votes already cast", async () => {
    const asking = hostWith({ expiryGraceMs: 0 }).relay;
    const expired = new AbortController();
    expired.abort();
    const poll = {
      question: "ship it?",
      choices: ["yes", "no"],
      quorum: 2,
      expiresInMs: 1_000,
      roles: [],
      votes: [{ voter: "agent:research", choice: "yes" }],
      expiresAt: Date.now(),
    };
    const result = await asking.gateway.poll!(poll, { ...context("t7"), expiry: expired.signal });
    expect(result).toMatchObject({ winner: null, closedBy: "expiry", votes: poll.votes });
    expect(await leftIn("pending")).toBe(0);
  });

  it("drops an approval past its expiry whose asking host died, without asking it", async () => {
    const dying = hostWith();
    const request = { ...bindAction({ kind: "deploy", target: "prod" }), expiresAt: Date.now() - 1 };
    const end = new AbortController();
    const asked = dying.relay.gateway.approve!(request, context("t8", end.signal));
    await vi.waitFor(async () => expect(await leftIn("pending")).toBe(1));
    dying.connection.disconnect(); // the host died with its request pending: it cannot withdraw it
    end.abort();
    await asked.catch(() => {});
    expect(await leftIn("pending")).toBe(1);

    const local = localGateway();
    const serving = serve(hostWith({ expiryGraceMs: 0 }).relay, local.gateway);
    await vi.waitFor(async () => expect(await leftIn("pending")).toBe(0));
    await serving.stop();
    expect(local.calls).toHaveLength(0);
  });
});
