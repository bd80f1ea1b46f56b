// The consensus agent: a question put to several voters. With choices, the named agents are asked
// in parallel (ctx.delegate, each with the vote's expiry as its deadline) and each free answer is
// mapped to a choice (exact, else this agent's model classifies it); as soon as one choice has the
// quorum it is decided, otherwise people vote in the task's thread (ctx.poll, the agents' votes
// already counted) until a choice has the quorum or the vote expires. Without choices, the agents
// answer freely and the model of the `consensus` role weighs their answers into one. The agent is a
// statechart: reading → asking → tallying → decided, or → collecting (people vote) → decided, or,
// without choices, weighing → decided; each step a named invoked actor carrying the task's signal.
import {
  type AgentContext,
  type AgentMachineInput,
  defineAgent,
  PollTally,
  type Task,
  taskStep,
  type ValidPoll,
  validatePoll,
} from "@troupe/runtime";
import { Schema } from "effect";
import { assign, setup } from "xstate";
import { defineFormatters, shorten, textOf } from "../format/Formatters.ts";
import { type ConsensusRequest, readConsensusRequest } from "./ConsensusRequest.ts";
import { choiceOfAnswer } from "./choiceOfAnswer.ts";

export const ConsensusVote = Schema.Struct({
  /** `agent:<name>` or the person as the surface names them (`discord:ana`). */
  voter: Schema.String,
  /** The choice voted for; null when an agent's answer picked none, or it failed. */
  choice: Schema.NullOr(Schema.String),
  /**
   * How the vote was read: an agent's exact answer, the model's reading of it, a person's reaction;
   * `answer`: a free answer to weigh (no choices); `failed`: the agent gave none.
   */
  via: Schema.Literals(["exact", "model", "person", "answer", "failed"]),
  /** An agent's own words. */
  answer: Schema.optional(Schema.String),
  /** Why there is no vote: the agent failed or the model could not read its answer. */
  problem: Schema.optional(Schema.String),
});
export type ConsensusVote = typeof ConsensusVote.Type;

export const ConsensusResult = Schema.Struct({
  question: Schema.String,
  choices: Schema.Array(Schema.String),
  quorum: Schema.Number,
  /** The choice that reached the quorum; null when none did (or there were no choices). */
  winner: Schema.NullOr(Schema.String),
  /** quorum: a choice reached it; expiry: the people's vote closed first; all-voted: every agent voted and none did; weighed: free answers weighed by the model. */
  closedBy: Schema.Literals(["quorum", "expiry", "all-voted", "weighed"]),
  tally: Schema.Array(Schema.Struct({ choice: Schema.String, votes: Schema.Number })),
  votes: Schema.Array(ConsensusVote),
  /** One paragraph: who won, or why nobody did, or the weighed answer. */
  summary: Schema.String,
});
export type ConsensusResult = typeof ConsensusResult.Type;

const describeVote = (vote: ConsensusVote) =>
  `${vote.voter} → ${vote.choice ?? "no vote"}${vote.answer !== undefined && vote.via !== "exact" ? ` ("${shorten(vote.answer, 60)}")` : ""}`;

const details = (result: ConsensusResult): string[] =>
  result.closedBy === "weighed"
    ? result.votes.map((vote) => `${vote.voter}: ${shorten(vote.answer ?? vote.problem ?? "", 100)}`)
    : [
        `Tally: ${result.tally.map((entry) => `${entry.choice} ${entry.votes}`).join(", ")}`,
        `Votes: ${result.votes.length > 0 ? result.votes.map(describeVote).join(", ") : "none"}`,
      ];

export const consensusFormatters = defineFormatters<ConsensusResult>({
  markdown: (result) => [`🗳️ **${result.question}**`, result.summary, ...details(result)].join("\n"),
  text: (result) => [`🗳️ ${result.question}`, result.summary, ...details(result)].join("\n"),
  notification: (result) => shorten(`${result.question} — ${result.summary}`, 140),
});

const summaryOf = (
  winner: string | null,
  closedBy: ConsensusResult["closedBy"],
  request: ConsensusRequest,
) => {
  if (winner !== null) return `${winner} wins with the quorum of ${request.quorum}.`;
  return closedBy === "expiry"
    ? `No choice reached the quorum of ${request.quorum} before the vote closed.`
    : `No choice reached the quorum of ${request.quorum}: every voter has voted.`;
};

const voteText = (request: ConsensusRequest) =>
  `${request.question}\nVote: answer with exactly one of these choices: ${request.choices.map((choice) => JSON.stringify(choice)).join(", ")}.`;

/** Ask one agent; a failure is a vote for nothing, with the reason. */
const answerOf = async (
  agent: string,
  text: string,
  request: ConsensusRequest,
  ctx: AgentContext,
): Promise<{ answer: string } | { problem: string }> => {
  try {
    const output = await ctx.delegate({
      agent,
      text,
      ...(request.expiresIn !== undefined ? { deadline: request.expiresIn } : {}),
    });
    return { answer: textOf(output).trim() };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return { problem: error instanceof Error ? error.message : String(error) };
  }
};

/** The agents' votes in the order they came, as soon as one choice has the quorum or all have voted. */
const agentVotes = (
  request: ConsensusRequest,
  poll: ValidPoll,
  ctx: AgentContext,
): Promise<ConsensusVote[]> =>
  new Promise((resolve, reject) => {
    const votes: ConsensusVote[] = [];
    const tally = new PollTally(poll);
    let pending = request.agents.length;
    if (pending === 0) return resolve([]);
    ctx.progress(`asking ${request.agents.join(", ")} to vote`);
    const voteOf = async (agent: string): Promise<ConsensusVote> => {
      const voter = `agent:${agent}`;
      const answered = await answerOf(agent, voteText(request), request, ctx);
      if ("problem" in answered) return { voter, choice: null, via: "failed", problem: answered.problem };
      const read = await choiceOfAnswer(
        answered.answer,
        request.question,
        request.choices,
        () => ctx.llm,
        ctx.signal,
      );
      return {
        voter,
        choice: read.choice,
        via: read.by,
        answer: answered.answer,
        ...(read.problem !== undefined ? { problem: read.problem } : {}),
      };
    };
    for (const agent of request.agents) {
      voteOf(agent).then((vote) => {
        votes.push(vote);
        if (vote.choice !== null) tally.cast(vote.voter, vote.choice);
        pending -= 1;
        if (pending === 0 || tally.winner !== undefined) resolve([...votes]);
      }, reject);
    }
  });

const WEIGH_PROMPT =
  "You weigh several answers to one question into a single answer: keep what they agree on, settle a disagreement by the better-supported view, and say in one sentence where they still differ. Answer in a short paragraph, without naming the answerers.";

/** No choices: the agents answer freely and the model weighs their answers into one. */
const weigh = async (
  request: ConsensusRequest,
  ctx: AgentContext,
): Promise<{ votes: ConsensusVote[]; summary: string }> => {
  ctx.progress(`asking ${request.agents.join(", ")}`);
  const answers = await Promise.all(
    request.agents.map((agent) => answerOf(agent, request.question, request, ctx)),
  );
  const votes: ConsensusVote[] = answers.map((answered, index) => ({
    voter: `agent:${request.agents[index]}`,
    choice: null,
    ...("answer" in answered
      ? { via: "answer", answer: answered.answer }
      : { via: "failed", problem: answered.problem }),
  }));
  const given = votes.filter((vote) => vote.answer !== undefined && vote.answer !== "");
  const summary =
    given.length === 0
      ? "No agent answered, so there is nothing to weigh."
      : (
          await ctx.llm.chat([
            { role: "system", content: WEIGH_PROMPT },
            {
              role: "user",
              content: [
                `Question: ${request.question}`,
                ...given.map((vote, index) => `Answer ${index + 1}:\n${vote.answer}`),
              ].join("\n\n"),
            },
          ])
        ).content.trim();
  return { votes, summary };
};

type Outcome = { winner: string | null; tally: ConsensusResult["tally"] };

/** What the run keeps between steps: plain JSON, saved after every step. */
interface ConsensusContext {
  readonly task: Task;
  readonly request: ConsensusRequest | undefined;
  readonly poll: ValidPoll | undefined;
  readonly votes: readonly ConsensusVote[];
  readonly outcome: Outcome;
  readonly closedBy: ConsensusResult["closedBy"];
  readonly summary: string;
}

/** The request read from the task, and with choices the poll it becomes (bad input fails here). */
const read = taskStep<{ request: ConsensusRequest; poll: ValidPoll | undefined }, { task: Task }>(
  async ({ input }) => {
    const request = readConsensusRequest(input.task);
    if (request.choices.length === 0) return { request, poll: undefined };
    const poll = validatePoll({
      question: request.question,
      choices: request.choices,
      quorum: request.quorum,
      ...(request.expiresIn !== undefined ? { expiresIn: request.expiresIn } : {}),
      roles: request.people?.roles ?? [],
    });
    return { request, poll };
  },
);

const ask = taskStep<ConsensusVote[], { request: ConsensusRequest; poll: ValidPoll }>(({ input, ctx }) =>
  agentVotes(input.request, input.poll, ctx),
);

/** The people's vote, the agents' votes already counted. */
const collect = taskStep<
  { outcome: Outcome; closedBy: "quorum" | "expiry"; votes: ConsensusVote[] },
  { poll: ValidPoll; votes: readonly ConsensusVote[] }
>(async ({ input, ctx }) => {
  const counted = countedOf(input.votes);
  ctx.progress("people are voting");
  const people = await ctx.poll({ ...input.poll, expiresIn: input.poll.expiresInMs, votes: counted });
  const personVotes = people.votes
    .filter((vote) => !counted.some((agentVote) => agentVote.voter === vote.voter))
    .map((vote): ConsensusVote => ({ voter: vote.voter, choice: vote.choice, via: "person" }));
  return {
    outcome: { winner: people.winner, tally: people.tally },
    closedBy: people.closedBy,
    votes: [...input.votes, ...personVotes],
  };
});

const weighAnswers = taskStep<{ votes: ConsensusVote[]; summary: string }, { request: ConsensusRequest }>(
  ({ input, ctx }) => weigh(input.request, ctx),
);

const countedOf = (votes: readonly ConsensusVote[]) =>
  votes.flatMap((vote) => (vote.choice !== null ? [{ voter: vote.voter, choice: vote.choice }] : []));

/** The agents' votes alone: a winner with the quorum, or none. */
const agentsOnly = (context: ConsensusContext) =>
  new PollTally({ ...context.poll!, votes: countedOf(context.votes) }).result("quorum");

/** The consensus chart: reading → asking → tallying → collecting (people) → decided, or weighing. */
const consensusMachine = setup({
  types: {} as { input: AgentMachineInput; context: ConsensusContext; output: ConsensusResult },
  actors: { read, ask, collect, weighAnswers },
  guards: {
    hasChoices: ({ context }) => context.poll !== undefined,
    agentsDecided: ({ context }) => agentsOnly(context).winner !== null || !context.request!.people,
  },
  actions: {
    decideByAgents: assign(({ context }) => {
      const outcome = agentsOnly(context);
      return { outcome, closedBy: outcome.winner !== null ? ("quorum" as const) : ("all-voted" as const) };
    }),
  },
}).createMachine({
  id: "consensus",
  context: ({ input }) => ({
    task: input.task,
    request: undefined,
    poll: undefined,
    votes: [],
    outcome: { winner: null, tally: [] },
    closedBy: "all-voted",
    summary: "",
  }),
  initial: "reading",
  states: {
    reading: {
      invoke: {
        src: "read",
        input: ({ context }) => ({ task: context.task }),
        onDone: { target: "choosing", actions: assign(({ event }) => event.output) },
      },
    },
    choosing: {
      always: [{ guard: "hasChoices", target: "asking" }, { target: "weighing" }],
    },
    asking: {
      invoke: {
        src: "ask",
        input: ({ context }) => ({ request: context.request!, poll: context.poll! }),
        onDone: { target: "tallying", actions: assign({ votes: ({ event }) => event.output }) },
      },
    },
    tallying: {
      always: [
        { guard: "agentsDecided", target: "decided", actions: "decideByAgents" },
        { target: "collecting" },
      ],
    },
    collecting: {
      invoke: {
        src: "collect",
        input: ({ context }) => ({ poll: context.poll!, votes: context.votes }),
        onDone: { target: "decided", actions: assign(({ event }) => event.output) },
      },
    },
    weighing: {
      invoke: {
        src: "weighAnswers",
        input: ({ context }) => ({ request: context.request! }),
        onDone: {
          target: "decided",
          actions: assign(({ event }) => ({ ...event.output, closedBy: "weighed" as const })),
        },
      },
    },
    decided: { type: "final" },
  },
  output: ({ context }) => {
    const request = context.request!;
    return {
      question: request.question,
      choices: context.poll?.choices ?? [],
      quorum: request.quorum,
      winner: context.outcome.winner,
      closedBy: context.closedBy,
      tally: context.outcome.tally,
      votes: context.votes,
      summary:
        context.closedBy === "weighed"
          ? context.summary
          : summaryOf(context.outcome.winner, context.closedBy, request),
    };
  },
});

/** The consensus agent (model role `consensus`, MODEL_CONSENSUS). */
export const createConsensus = (options: { readonly name?: string } = {}) =>
  defineAgent({
    name: options.name ?? "consensus",
    description:
      "Puts a question to several agents and/or people as a vote with a quorum, or weighs the agents' free answers into one.",
    capabilities: ["consensus", "vote"],
    format: consensusFormatters,
    model: "consensus",
    machine: consensusMachine,
  });
