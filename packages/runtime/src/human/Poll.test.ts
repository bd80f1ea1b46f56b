// A poll's options are checked before anyone is asked (each problem named by its field), and the
// tally keeps one vote per voter — the latest — with the first choice to reach the quorum winning.
import { describe, expect, it } from "vitest";
import { isTroupeError } from "../errors/TroupeError.ts";
import { type PollOptions, PollTally, validatePoll } from "./Poll.ts";

const problemOf = (options: PollOptions): string => {
  try {
    validatePoll(options);
  } catch (error) {
    if (isTroupeError(error, "InvalidPoll")) return error.reason;
    throw error;
  }
  return "valid";
};

describe("validatePoll", () => {
  it("names the field of each bad option", () => {
    const base = { question: "Ship?", choices: ["yes", "no"], quorum: 1 };
    expect(problemOf(base)).toBe("valid");
    expect(problemOf({ ...base, question: " " })).toBe("poll question must be a non-empty string");
    expect(problemOf({ ...base, choices: ["yes"] })).toBe("poll choices must list 2 to 10 choices, got 1");
    expect(problemOf({ ...base, choices: ["yes", " yes "] })).toBe(
      'poll choices must be distinct, "yes" is there twice',
    );
    expect(problemOf({ ...base, quorum: 0 })).toMatch(/^poll quorum must be a whole number/);
    expect(problemOf({ ...base, expiresIn: "soon" as never })).toMatch(/^poll expiresIn is not a duration/);
    expect(problemOf({ ...base, votes: [{ voter: "agent:a", choice: "maybe" }] })).toBe(
      'poll votes[0].choice must be one of the choices, got "maybe"',
    );
    expect(validatePoll(base).expiresInMs).toBe(600_000);
  });
});

describe("PollTally", () => {
  it("keeps each voter's latest vote and names the first choice with the quorum", () => {
    const tally = new PollTally(validatePoll({ question: "Ship?", choices: ["yes", "no"], quorum: 2 }));
    tally.cast("ana", "yes");
    tally.cast("ana", "yes");
    expect(tally.winner).toBeUndefined();
    tally.cast("ana", "no");
    tally.cast("bo", "no");
    tally.cast("cy", "maybe");
    expect(tally.result("quorum")).toEqual({
      question: "Ship?",
      winner: "no",
      closedBy: "quorum",
      tally: [
        { choice: "yes", votes: 0 },
        { choice: "no", votes: 2 },
      ],
      votes: [
        { voter: "ana", choice: "no" },
        { voter: "bo", choice: "no" },
      ],
    });
  });
});
