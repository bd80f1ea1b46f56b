// What the consensus agent is asked: a question, the choices (none: the agents' free answers are
// weighed into one), who votes (agent names and/or people in the task's thread), the quorum and the
// expiry. Given as structured input, or as text a person can type in a chat:
//   Ship on Friday?
//   - yes
//   - no
//   agents: research, code      (optional; without it people vote)
//   people: maintainers         (optional: people vote too, only members with these roles; "yes": anyone)
//   quorum: 2                   (optional with agents only: a majority of them)
//   expires: 10m                (optional)
import { type Duration, type Task, TroupeError } from "@troupe/runtime";
import { Result, Schema } from "effect";

export const ConsensusInput = Schema.Struct({
  question: Schema.String,
  /** The choices to vote on; none: the agents answer freely and the model weighs their answers. */
  choices: Schema.optional(Schema.Array(Schema.String)),
  /** Agents asked for their vote (or their answer). */
  agents: Schema.optional(Schema.Array(Schema.String)),
  /** People vote too (by reaction in the task's thread): `true` for anyone, or only these roles. */
  people: Schema.optional(
    Schema.Union([Schema.Boolean, Schema.Struct({ roles: Schema.Array(Schema.String) })]),
  ),
  /** Votes one choice needs; default with agents only: a majority of them. Required when people vote. */
  quorum: Schema.optional(Schema.Number),
  /** How long the vote stays open ("10m", or milliseconds). */
  expiresIn: Schema.optional(Schema.Union([Schema.Number, Schema.String])),
});
export type ConsensusInput = typeof ConsensusInput.Type;

/** A request checked and with its defaults filled in. */
export interface ConsensusRequest {
  readonly question: string;
  readonly choices: readonly string[];
  readonly agents: readonly string[];
  /** Undefined: people do not vote; else the roles that may (empty: anyone but a bot). */
  readonly people: { readonly roles: readonly string[] } | undefined;
  readonly quorum: number;
  readonly expiresIn: Duration | undefined;
}

const invalid = (reason: string) => new TroupeError("InvalidTask", `consensus: ${reason}`);
const list = (value: string) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const CHOICE = /^\s*(?:[-*•]|\d+[.)])\s+(.+)$/;
const FIELD = /^\s*(agents|people|quorum|expires)\s*:\s*(.*)$/i;

/** The text form (see the header) as structured input. */
export const parseConsensusText = (text: string): ConsensusInput => {
  const question: string[] = [];
  const choices: string[] = [];
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const field = FIELD.exec(line);
    const choice = CHOICE.exec(line);
    if (field) fields[field[1]!.toLowerCase()] = field[2]!.trim();
    else if (choice) choices.push(choice[1]!.trim());
    else if (line.trim() !== "") question.push(line.trim());
  }
  const people = fields.people;
  return {
    question: question.join(" "),
    ...(choices.length > 0 ? { choices } : {}),
    ...(fields.agents !== undefined ? { agents: list(fields.agents) } : {}),
    ...(people !== undefined
      ? { people: /^(yes|true|anyone)$/i.test(people) ? true : { roles: list(people) } }
      : {}),
    ...(fields.quorum !== undefined ? { quorum: Number(fields.quorum) } : {}),
    ...(fields.expires !== undefined ? { expiresIn: fields.expires } : {}),
  };
};

const decodeInput = Schema.decodeUnknownResult(ConsensusInput);

/** The task's request (structured input, else its text), checked; throws InvalidTask naming the problem. */
export const readConsensusRequest = (task: Task): ConsensusRequest => {
  const raw =
    typeof task.input === "object" && task.input !== null ? task.input : parseConsensusText(task.text);
  const decoded = decodeInput(raw);
  if (Result.isFailure(decoded)) throw invalid(`bad input: ${decoded.failure.message}`);
  const input = decoded.success;
  const question = input.question.trim();
  if (question === "") throw invalid("the question is empty");
  const choices = input.choices ?? [];
  const agents = input.agents ?? [];
  // Text with choices and no voters named is a question to the people in the thread.
  const people =
    input.people === true || (input.people === undefined && agents.length === 0 && choices.length > 0)
      ? { roles: [] }
      : input.people === false || input.people === undefined
        ? undefined
        : { roles: input.people.roles };
  if (agents.length === 0 && !people) throw invalid("nobody votes: name `agents`, or let `people` vote");
  if (choices.length === 0 && people) throw invalid("people vote on choices: list them (`- choice` lines)");
  if (input.quorum === undefined && people)
    throw invalid("say how many votes win when people vote (`quorum: 2`)");
  return {
    question,
    choices,
    agents,
    people,
    quorum: input.quorum ?? Math.floor(agents.length / 2) + 1,
    expiresIn: input.expiresIn as Duration | undefined,
  };
};
