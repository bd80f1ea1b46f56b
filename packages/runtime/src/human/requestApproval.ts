// The approval round trip, kept out of the supervisor core: save the pending approval (so it survives
// a restart), ask the gateway, refuse an answer for another hash or one that came after the expiry,
// and save the decision (so a task run again after a crash reuses it instead of asking twice).
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import type { Task } from "../task/Task.ts";
import type { Clock } from "../time/Clock.ts";
import { formatMillis } from "../time/duration.ts";
import type { Approval, ApprovalAnswer, ApprovalRequest, BoundAction } from "./Approval.ts";

/** What a gateway must offer to answer approvals. */
export interface ApprovalGateway {
  approve?(
    request: ApprovalRequest,
    context: { task: Task; agent: string; signal: AbortSignal },
  ): Promise<ApprovalAnswer>;
}

/** An approval as saved in the SnapshotStore under `approval/<taskId>/<hash>`. */
type SavedApproval =
  | { readonly status: "pending"; readonly hash: string; readonly expiresAt: number }
  | { readonly status: "decided"; readonly hash: string; readonly approved: boolean; readonly by: string };

export const approvalKey = (taskId: string, hash: string): string =>
  `approval/${taskId}/${hash.slice(0, 32)}`;

export interface ApprovalRound {
  readonly gateway: ApprovalGateway | undefined;
  readonly store: SnapshotStore | undefined;
  readonly clock: Clock;
  readonly task: Task;
  readonly agent: string;
  readonly bound: BoundAction;
  readonly expiresInMs: number;
  readonly signal: AbortSignal;
}

const isSaved = (value: unknown): value is SavedApproval =>
  typeof value === "object" && value !== null && "status" in value && "hash" in value;

const expired = (bound: BoundAction, expiresAt: number, now: number) =>
  new TroupeError(
    "ApprovalExpired",
    `the approval of action #${bound.shortHash} expired ${formatMillis(Math.max(0, now - expiresAt))} ago, before an answer came: the action was not approved`,
    { data: { hash: bound.hash, expiresAt } },
  );

export const requestApproval = async (round: ApprovalRound): Promise<Approval> => {
  const { gateway, store, clock, task, agent, bound, signal } = round;
  if (!gateway?.approve) {
    throw new TroupeError(
      "InvalidCommand",
      `agent ${agent} asked for an approval, but no human gateway that answers approvals is configured`,
    );
  }
  const key = approvalKey(task.id, bound.hash);
  const saved = store ? await store.load(key) : undefined;
  if (isSaved(saved) && saved.hash === bound.hash && saved.status === "decided") {
    return { approved: saved.approved, by: saved.by, hash: saved.hash };
  }
  // A pending approval asked before a restart keeps its original expiry.
  const expiresAt =
    isSaved(saved) && saved.hash === bound.hash && saved.status === "pending"
      ? saved.expiresAt
      : clock.now() + round.expiresInMs;
  if (clock.now() > expiresAt) throw expired(bound, expiresAt, clock.now());
  if (store)
    await store.save(key, { status: "pending", hash: bound.hash, expiresAt } satisfies SavedApproval);

  const expiry = new AbortController();
  const timer = clock.setTimeout(
    () => expiry.abort(expired(bound, expiresAt, clock.now())),
    Math.max(0, expiresAt - clock.now()),
  );
  const request: ApprovalRequest = { ...bound, expiresAt };
  let answer: ApprovalAnswer;
  try {
    answer = await new Promise<ApprovalAnswer>((resolve, reject) => {
      const both = AbortSignal.any([signal, expiry.signal]);
      const onAbort = () => reject(both.reason);
      if (both.aborted) return onAbort();
      both.addEventListener("abort", onAbort, { once: true });
      gateway.approve!(request, { task, agent, signal: both }).then(resolve, reject);
    });
  } finally {
    clock.clearTimeout(timer);
  }
  if (answer.hash !== bound.hash) {
    throw new TroupeError(
      "ApprovalMismatch",
      `an answer for action #${String(answer.hash).slice(0, 8)} was given to the approval of #${bound.shortHash}: refused, the action approved must be the exact one asked`,
      { data: { expected: bound.hash, got: answer.hash } },
    );
  }
  if (clock.now() > expiresAt) throw expired(bound, expiresAt, clock.now());
  const decision: Approval = { approved: answer.approved === true, by: String(answer.by), hash: bound.hash };
  if (store) await store.save(key, { status: "decided", ...decision } satisfies SavedApproval);
  return decision;
};
