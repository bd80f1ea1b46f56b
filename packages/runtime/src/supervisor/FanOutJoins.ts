// The fan-outs a supervisor has open: each one's branches, their outcomes in the order they came,
// and the join policy that decides them. When a join is decided this settles the caller's promise
// and announces it; the supervisor cancels the branches that lost.
import { isTroupeError, TroupeError } from "../errors/TroupeError.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type BranchOutcome, decideJoin, type JoinPolicy, joinName } from "./joinPolicy.ts";

export interface FanOutBranchResult {
  readonly agent: string;
  readonly taskId: string;
  readonly status: "succeeded" | "failed" | "cancelled" | "pending";
  readonly output?: unknown;
  readonly error?: TroupeError;
}

export interface FanOutResult<TOutput = unknown> {
  readonly fanOutId: string;
  readonly join: string;
  /** Outputs of the branches that satisfied the join, in the order they finished. */
  readonly outputs: readonly TOutput[];
  readonly branches: readonly FanOutBranchResult[];
}

interface OpenFanOut {
  readonly id: string;
  readonly join: JoinPolicy;
  readonly branches: { agent: string; taskId: string; outcome: BranchOutcome }[];
  readonly settleOrder: number[];
  readonly resolve: (result: FanOutResult) => void;
  readonly reject: (error: TroupeError) => void;
}

/** Branch tasks still pending when a fan-out was decided, to be cancelled with `reason`. */
export interface Losers {
  readonly taskIds: readonly string[];
  readonly reason: string;
}

export class FanOutJoins {
  readonly #open = new Map<string, OpenFanOut>();
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  get size(): number {
    return this.#open.size;
  }

  has(id: string): boolean {
    return this.#open.has(id);
  }

  open(
    id: string,
    join: JoinPolicy,
    branches: readonly { agent: string; taskId: string }[],
    settle: { resolve: (result: FanOutResult) => void; reject: (error: TroupeError) => void },
  ): void {
    this.#open.set(id, {
      id,
      join,
      branches: branches.map((branch) => ({ ...branch, outcome: { status: "pending" } })),
      settleOrder: [],
      ...settle,
    });
    this.#bus.publish({
      type: "fanout.started",
      fanOutId: id,
      join: joinName(join),
      branches: [...branches],
    });
  }

  /** A branch task settled; when that decides its fan-out, returns the losers to cancel. */
  branchSettled(fanOutId: string, taskId: string, outcome: BranchOutcome): Losers | undefined {
    const fanOut = this.#open.get(fanOutId);
    const index = fanOut?.branches.findIndex((branch) => branch.taskId === taskId) ?? -1;
    if (!fanOut || index < 0) return undefined;
    fanOut.branches[index]!.outcome = outcome;
    fanOut.settleOrder.push(index);
    const decision = decideJoin(
      fanOut.join,
      fanOut.branches.map((branch) => branch.outcome),
      fanOut.settleOrder,
    );
    if (!decision.decided) return undefined;
    return this.#settle(fanOut, decision.succeeded ? "succeeded" : "failed", decision.winners);
  }

  /** Cancel a whole fan-out; returns its pending branches to cancel. */
  cancel(fanOutId: string, reason: string): Losers | undefined {
    const fanOut = this.#open.get(fanOutId);
    return fanOut ? this.#settle(fanOut, "cancelled", [], reason) : undefined;
  }

  #settle(
    fanOut: OpenFanOut,
    outcome: "succeeded" | "failed" | "cancelled",
    winnerIndexes: readonly number[],
    cancelReason?: string,
  ): Losers {
    this.#open.delete(fanOut.id);
    const join = joinName(fanOut.join);
    const winners = winnerIndexes.map((index) => fanOut.branches[index]!);
    this.#bus.publish({
      type: "fanout.settled",
      fanOutId: fanOut.id,
      outcome,
      winners: winners.map((branch) => branch.taskId),
    });
    const branches = fanOut.branches.map(resultOf);
    if (outcome === "succeeded") {
      const outputs = winners.map((branch) => (branch.outcome as { output: unknown }).output);
      fanOut.resolve({ fanOutId: fanOut.id, join, outputs, branches });
    } else {
      const summary = branches
        .map((branch) => `${branch.agent}: ${branch.error?.reason ?? branch.status}`)
        .join("; ");
      fanOut.reject(
        new TroupeError(
          cancelReason ? "Cancelled" : "FanOutFailed",
          `fan-out ${fanOut.id} (${join}) ${outcome}: ${summary}`,
          {
            data: { fanOutId: fanOut.id, branches },
          },
        ),
      );
    }
    return {
      taskIds: fanOut.branches
        .filter((branch) => branch.outcome.status === "pending")
        .map((branch) => branch.taskId),
      reason: cancelReason ?? `lost fan-out ${fanOut.id} (${join} decided)`,
    };
  }
}

const resultOf = ({ agent, taskId, outcome }: OpenFanOut["branches"][number]): FanOutBranchResult => {
  if (outcome.status === "succeeded") return { agent, taskId, status: "succeeded", output: outcome.output };
  if (outcome.status === "pending") return { agent, taskId, status: "cancelled" };
  const error = outcome.error as TroupeError;
  return { agent, taskId, status: isTroupeError(error, "Cancelled") ? "cancelled" : "failed", error };
};
