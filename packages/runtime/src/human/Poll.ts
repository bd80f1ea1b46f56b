// What a poll is: a question put to people with numbered choices (at most ten, one keycap each on a
// chat surface), decided by the first choice to reach the quorum, or closed at its expiry with the
// tally and no winner. One vote per voter: a later vote by the same voter replaces the earlier one.
// Bad options fail with `InvalidPoll` naming the field; `PollTally` is the counting every gateway shares.
import { TroupeError } from "../errors/TroupeError.ts";
import { type Duration, toMillis } from "../time/duration.ts";

/** How many choices a poll may offer (the keycaps 1️⃣ … 🔟). */
export const MAX_POLL_CHOICES = 10;
/** How long a poll stays open unless the agent says otherwise. */
export const DEFAULT_POLL_EXPIRY_MS = 10 * 60_000;

/** One voter's vote: who (`discord:ana`, `agent:research`) and the choice. */
export interface PollVote {
  readonly voter: string;
  readonly choice: string;
}

/** What `ctx.poll` takes. */
export interface PollOptions {
  readonly question: string;
  /** 2 to 10 distinct choices, shown numbered in this order. */
  readonly choices: readonly string[];
  /** Votes one choice needs to win (at least 1). */
  readonly quorum: number;
  /** How long the poll stays open (default 10m); then it closes with the tally and no winner. */
  readonly expiresIn?: Duration;
  /** Only members with one of these roles (names or ids) vote; anyone but a bot when absent. */
  readonly roles?: readonly string[];
  /** Votes already cast (by agents, say): they count toward the quorum. */
  readonly votes?: readonly PollVote[];
}

/** A checked poll, before it is opened. */
export interface ValidPoll {
  readonly question: string;
  readonly choices: readonly string[];
  readonly quorum: number;
  readonly expiresInMs: number;
  readonly roles: readonly string[];
  readonly votes: readonly PollVote[];
}

/** What a gateway is asked to run: the checked poll and when it closes, on the team's clock (ms). */
export interface PollRequest extends ValidPoll {
  readonly expiresAt: number;
}

/** How a poll ended: the winner (null when none reached the quorum), the tally and every vote. */
export interface PollResult {
  readonly question: string;
  readonly winner: string | null;
  readonly closedBy: "quorum" | "expiry";
  /** Every choice in order with its votes. */
  readonly tally: readonly { readonly choice: string; readonly votes: number }[];
  /** Each voter's (last) vote, in the order the voters first voted. */
  readonly votes: readonly PollVote[];
}

const invalid = (field: string, problem: string) =>
  new TroupeError("InvalidPoll", `poll ${field} ${problem}`, { data: { field } });

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

/** Check a poll's options (throws InvalidPoll naming the field). */
export const validatePoll = (options: PollOptions): ValidPoll => {
  if (!nonEmpty(options.question)) throw invalid("question", "must be a non-empty string");
  const choices = options.choices;
  if (!Array.isArray(choices) || choices.length < 2 || choices.length > MAX_POLL_CHOICES)
    throw invalid("choices", `must list 2 to ${MAX_POLL_CHOICES} choices, got ${choices?.length ?? "none"}`);
  const trimmed = choices.map((choice, index) => {
    if (!nonEmpty(choice)) throw invalid(`choices[${index}]`, "must be a non-empty string");
    return choice.trim();
  });
  const twice = trimmed.find((choice, index) => trimmed.indexOf(choice) !== index);
  if (twice !== undefined) throw invalid("choices", `must be distinct, "${twice}" is there twice`);
  if (!Number.isInteger(options.quorum) || options.quorum < 1)
    throw invalid("quorum", `must be a whole number of votes of at least 1, got ${options.quorum}`);
  let expiresInMs = DEFAULT_POLL_EXPIRY_MS;
  try {
    if (options.expiresIn !== undefined) expiresInMs = toMillis(options.expiresIn, "poll expiresIn");
  } catch (error) {
    throw invalid("expiresIn", `is not a duration: ${(error as Error).message}`);
  }
  if (expiresInMs <= 0) throw invalid("expiresIn", "must be longer than 0");
  const roles = options.roles ?? [];
  if (!roles.every(nonEmpty)) throw invalid("roles", "must be role names or ids");
  const votes = (options.votes ?? []).map((vote, index) => {
    if (!nonEmpty(vote?.voter)) throw invalid(`votes[${index}].voter`, "must be a non-empty string");
    if (!trimmed.includes(vote.choice?.trim()))
      throw invalid(`votes[${index}].choice`, `must be one of the choices, got "${vote.choice}"`);
    return { voter: vote.voter, choice: vote.choice.trim() };
  });
  return {
    question: options.question.trim(),
    choices: trimmed,
    quorum: options.quorum,
    expiresInMs,
    roles,
    votes,
  };
};

/** The votes of one poll: one per voter (the latest), and the winner once a choice has the quorum. */
export class PollTally {
  readonly #poll: ValidPoll;
  readonly #votes = new Map<string, string>();

  constructor(poll: ValidPoll) {
    this.#poll = poll;
    for (const vote of poll.votes) this.#votes.set(vote.voter, vote.choice);
  }

  /** Count `voter`'s vote, replacing their earlier one; a choice not in the poll is ignored. */
  cast(voter: string, choice: string): void {
    if (this.#poll.choices.includes(choice)) this.#votes.set(voter, choice);
  }

  #count(choice: string): number {
    let count = 0;
    for (const voted of this.#votes.values()) if (voted === choice) count += 1;
    return count;
  }

  /** The first choice (in order) with at least the quorum of votes, if any. */
  get winner(): string | undefined {
    return this.#poll.choices.find((choice) => this.#count(choice) >= this.#poll.quorum);
  }

  result(closedBy: PollResult["closedBy"]): PollResult {
    return {
      question: this.#poll.question,
      winner: this.winner ?? null,
      closedBy,
      tally: this.#poll.choices.map((choice) => ({ choice, votes: this.#count(choice) })),
      votes: [...this.#votes].map(([voter, choice]) => ({ voter, choice })),
    };
  }
}
