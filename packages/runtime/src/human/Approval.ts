// What an approval is: a person's yes or no to one exact action. The action is bound by the sha256 of
// its canonical JSON, so an answer given for another action (another hash) is refused, and every
// approval expires. The HumanGateway receives an `ApprovalRequest` and answers an `ApprovalAnswer`.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonicalJson.ts";

/** How long an approval may wait for its answer unless the agent says otherwise. */
export const DEFAULT_APPROVAL_EXPIRY_MS = 10 * 60_000;

/** What a gateway is asked to decide. */
export interface ApprovalRequest {
  /** The action, as its canonical JSON parsed back (what the person sees is what is hashed). */
  readonly action: unknown;
  /** The canonical JSON the hash is taken of. */
  readonly canonical: string;
  /** sha256 of `canonical`, hex. */
  readonly hash: string;
  /** The first 8 hex digits of the hash, to show to a person. */
  readonly shortHash: string;
  /** When the approval expires, on the team's clock (ms). */
  readonly expiresAt: number;
  /** One line for the task's status (✋). */
  readonly question: string;
}

/** A gateway's answer: the hash it decided on, the decision and who made it. */
export interface ApprovalAnswer {
  readonly hash: string;
  readonly approved: boolean;
  readonly by: string;
}

/** What `ctx.askApproval` resolves to. A denial is an answer too (`approved: false`), not an error. */
export interface Approval {
  readonly approved: boolean;
  readonly by: string;
  readonly hash: string;
}

export interface BoundAction {
  readonly action: unknown;
  readonly canonical: string;
  readonly hash: string;
  readonly shortHash: string;
  readonly question: string;
}

const MAX_SHOWN = 200;

/** Canonicalise and hash an action (throws `InvalidAction` for values JSON cannot carry). */
export const bindAction = (action: unknown): BoundAction => {
  const canonical = canonicalJson(action);
  const hash = createHash("sha256").update(canonical).digest("hex");
  const shortHash = hash.slice(0, 8);
  const shown = canonical.length > MAX_SHOWN ? `${canonical.slice(0, MAX_SHOWN)}…` : canonical;
  return {
    action: JSON.parse(canonical),
    canonical,
    hash,
    shortHash,
    question: `approve ${shown} (#${shortHash})?`,
  };
};
