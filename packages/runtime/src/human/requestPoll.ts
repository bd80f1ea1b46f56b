// The poll round trip, kept out of the supervisor core: refuse a gateway that cannot take votes, skip
// the gateway when the votes already cast decide it, and close the poll at its expiry on the team's
// clock (the gateway then answers with the tally so far) or fail when the task's signal aborts.
import { TroupeError } from "../errors/TroupeError.ts";
import type { Task } from "../task/Task.ts";
import type { Clock } from "../time/Clock.ts";
import { type PollRequest, type PollResult, PollTally, type ValidPoll } from "./Poll.ts";

/** What the gateway's `poll` is given besides the request. */
export interface PollContext {
  readonly task: Task;
  readonly agent: string;
  /** Aborts when the task ends: stop listening and fail. */
  readonly signal: AbortSignal;
  /** Aborts when the poll expires: stop listening and answer with the tally (`closedBy: "expiry"`). */
  readonly expiry: AbortSignal;
}

/** What a gateway must offer to take votes. */
export interface PollGateway {
  poll?(request: PollRequest, context: PollContext): Promise<PollResult>;
}

export interface PollRound {
  readonly gateway: PollGateway | undefined;
  readonly clock: Clock;
  readonly task: Task;
  readonly agent: string;
  readonly poll: ValidPoll;
  readonly signal: AbortSignal;
}

export const requestPoll = async (round: PollRound): Promise<PollResult> => {
  const { gateway, clock, task, agent, poll, signal } = round;
  if (!gateway?.poll) {
    throw new TroupeError(
      "InvalidCommand",
      `agent ${agent} put a question to a vote, but the team's human gateway cannot take votes (a chat surface such as Discord can)`,
    );
  }
  signal.throwIfAborted();
  const already = new PollTally(poll);
  if (already.winner !== undefined) return already.result("quorum");
  const expiry = new AbortController();
  const timer = clock.setTimeout(() => expiry.abort(), poll.expiresInMs);
  try {
    return await new Promise<PollResult>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      gateway.poll!(
        { ...poll, expiresAt: clock.now() + poll.expiresInMs },
        { task, agent, signal, expiry: expiry.signal },
      )
        .then(resolve, reject)
        .finally(() => signal.removeEventListener("abort", onAbort));
    });
  } finally {
    clock.clearTimeout(timer);
  }
};
