// Join policies of a fan-out: when the joined result is decided, from the branch outcomes so far.

export type JoinPolicy = "all" | "any" | "first" | { readonly quorum: number };

export const joinName = (join: JoinPolicy): string =>
  typeof join === "string" ? join : `quorum(${join.quorum})`;

export type BranchOutcome<T = unknown> =
  | { readonly status: "pending" }
  | { readonly status: "succeeded"; readonly output: T }
  | { readonly status: "failed"; readonly error: unknown };

export type JoinDecision =
  | { readonly decided: false }
  | { readonly decided: true; readonly succeeded: boolean; readonly winners: readonly number[] };

/** Decide a join from branch outcomes (indexes of winners in branch order). `settleOrder` lists branch indexes in the order they settled. */
export const decideJoin = (
  join: JoinPolicy,
  outcomes: readonly BranchOutcome[],
  settleOrder: readonly number[],
): JoinDecision => {
  const succeeded = outcomes.flatMap((outcome, index) => (outcome.status === "succeeded" ? [index] : []));
  const failed = outcomes.filter((outcome) => outcome.status === "failed").length;
  const total = outcomes.length;
  const needed = join === "all" ? total : join === "any" || join === "first" ? 1 : join.quorum;
  if (join === "first" && settleOrder.length > 0) {
    const first = settleOrder[0]!;
    return {
      decided: true,
      succeeded: outcomes[first]!.status === "succeeded",
      winners: outcomes[first]!.status === "succeeded" ? [first] : [],
    };
  }
  if (succeeded.length >= needed) {
    const winners =
      join === "all"
        ? succeeded
        : settleOrder.filter((index) => outcomes[index]!.status === "succeeded").slice(0, needed);
    return { decided: true, succeeded: true, winners };
  }
  if (total - failed < needed) return { decided: true, succeeded: false, winners: [] };
  return { decided: false };
};
