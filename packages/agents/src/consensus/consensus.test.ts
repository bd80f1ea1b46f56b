// The consensus agent with scripted agents, a scripted model and a scripted people's gateway: the
// agents' quorum decides without waiting for the slowest, free answers are classified into a choice
// by the model, no quorum is reported as such, people vote with the agents' votes already counted
// (and the vote closes at its expiry with no winner), and without choices the answers are weighed.
import { type HumanGateway, isTroupeError, type PollRequest, PollTally } from "@troupe/runtime";
import { createTestTeam, ScriptedModel, scriptedAgent } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { parseConsensusText } from "./ConsensusRequest.ts";
import { type ConsensusResult, consensusFormatters, createConsensus } from "./consensus.ts";

const consensusTeam = (
  voters: ReturnType<typeof scriptedAgent>[],
  options: { model?: ScriptedModel; human?: HumanGateway } = {},
) => {
  const model = options.model ?? new ScriptedModel(["unused"]);
  const test = createTestTeam({
    agents: [createConsensus(), ...voters],
    llm: () => model,
    ...(options.human ? { human: options.human } : {}),
  });
  const ask = (input: unknown) =>
    test.team.submit({ agent: "consensus", input, text: "vote" }).result as Promise<ConsensusResult>;
  return { ...test, model, ask };
};

describe("the consensus agent", () => {
  it("decides as soon as one choice has the agents' quorum, without waiting for the slowest", async () => {
    const slow = scriptedAgent("slow", [{ hang: true }]);
    const { ask, team } = consensusTeam([
      scriptedAgent("a", [{ reply: "yes" }]),
      scriptedAgent("b", [{ reply: { text: "Yes." } }]),
      slow,
    ]);
    const result = await ask({
      question: "Ship on Friday?",
      choices: ["yes", "no"],
      agents: ["a", "b", "slow"],
    });
    expect(result).toMatchObject({
      winner: "yes",
      closedBy: "quorum",
      quorum: 2,
      tally: [
        { choice: "yes", votes: 2 },
        { choice: "no", votes: 0 },
      ],
    });
    expect(result.votes.map((vote) => [vote.voter, vote.choice, vote.via])).toEqual([
      ["agent:a", "yes", "exact"],
      ["agent:b", "yes", "exact"],
    ]);
    expect(slow.calls[0]?.text).toContain('answer with exactly one of these choices: "yes", "no"');
    expect(consensusFormatters.text(result)).toContain("yes wins with the quorum of 2.");
    team.stop();
  });

  it("has its model read a free answer as a choice, and reports no quorum when every agent has voted", async () => {
    const model = new ScriptedModel([{ json: { choice: "no" } }]);
    const { ask, team } = consensusTeam(
      [
        scriptedAgent("a", [{ reply: "yes" }]),
        scriptedAgent("b", [{ reply: "Friday is risky, I would wait until Monday." }]),
      ],
      { model },
    );
    const result = await ask({ question: "Ship on Friday?", choices: ["yes", "no"], agents: ["a", "b"] });
    expect(result).toMatchObject({ winner: null, closedBy: "all-voted", quorum: 2 });
    expect(result.votes).toContainEqual({
      voter: "agent:b",
      choice: "no",
      via: "model",
      answer: "Friday is risky, I would wait until Monday.",
    });
    expect(JSON.stringify(model.calls[0]?.options.format)).toContain('["yes","no","none of the choices"]');
    expect(result.summary).toBe("No choice reached the quorum of 2: every voter has voted.");
    team.stop();
  });

  it("lets people vote with the agents' votes already counted", async () => {
    const asked: PollRequest[] = [];
    const human: HumanGateway = {
      ask: async () => "",
      poll: async (request) => {
        asked.push(request);
        const tally = new PollTally(request);
        tally.cast("discord:ana", "no");
        tally.cast("discord:bo", "yes");
        return tally.result("quorum");
      },
    };
    const { ask, team } = consensusTeam([scriptedAgent("a", [{ reply: "yes" }])], { human });
    const result = await ask(
      parseConsensusText("Ship on Friday?\n- yes\n- no\nagents: a\npeople: yes\nquorum: 2"),
    );
    expect(asked[0]).toMatchObject({
      choices: ["yes", "no"],
      quorum: 2,
      votes: [{ voter: "agent:a", choice: "yes" }],
    });
    expect(result).toMatchObject({ winner: "yes", closedBy: "quorum" });
    expect(result.votes.map((vote) => [vote.voter, vote.choice, vote.via])).toEqual([
      ["agent:a", "yes", "exact"],
      ["discord:ana", "no", "person"],
      ["discord:bo", "yes", "person"],
    ]);
    team.stop();
  });

  it("closes the people's vote at its expiry with the tally and no winner", async () => {
    const human: HumanGateway = {
      ask: async () => "",
      poll: (request, { expiry }) =>
        new Promise((resolve) => {
          const tally = new PollTally(request);
          tally.cast("discord:ana", "eu");
          expiry.addEventListener("abort", () => resolve(tally.result("expiry")), { once: true });
        }),
    };
    const { ask, advance, next, team } = consensusTeam([], { human });
    const result = ask({
      question: "Which region?",
      choices: ["eu", "us"],
      people: true,
      quorum: 2,
      expiresIn: "5m",
    });
    await next("task.awaiting_human");
    await advance(5 * 60_000);
    await expect(result).resolves.toMatchObject({
      winner: null,
      closedBy: "expiry",
      tally: [
        { choice: "eu", votes: 1 },
        { choice: "us", votes: 0 },
      ],
      votes: [{ voter: "discord:ana", choice: "eu", via: "person" }],
      summary: "No choice reached the quorum of 2 before the vote closed.",
    });
    team.stop();
  });

  it("weighs the agents' free answers into one with its model when there are no choices", async () => {
    const model = new ScriptedModel(["Use Postgres; both agree it fits, they differ on hosting."]);
    const { ask, team } = consensusTeam(
      [
        scriptedAgent("a", [{ reply: "Postgres, self-hosted." }]),
        scriptedAgent("b", [{ reply: { answer: "Postgres on a managed service." } }]),
      ],
      { model },
    );
    const result = await ask({ question: "Which database?", agents: ["a", "b"] });
    expect(result).toMatchObject({
      closedBy: "weighed",
      winner: null,
      summary: "Use Postgres; both agree it fits, they differ on hosting.",
    });
    expect(result.votes.map((vote) => [vote.voter, vote.via])).toEqual([
      ["agent:a", "answer"],
      ["agent:b", "answer"],
    ]);
    const prompt = model.messages(0).at(-1)?.content ?? "";
    expect(prompt).toContain("Postgres, self-hosted.");
    expect(prompt).toContain("Postgres on a managed service.");
    team.stop();
  });

  it("refuses a vote nobody can decide, naming what is missing", async () => {
    const { ask, team } = consensusTeam([]);
    await expect(ask(parseConsensusText("Ship?\n- yes\n- no"))).rejects.toSatisfy(
      (error) => isTroupeError(error, "InvalidTask") && /quorum: 2/.test(error.reason),
    );
    await expect(ask({ question: "Ship?" })).rejects.toSatisfy(
      (error) => isTroupeError(error, "InvalidTask") && /nobody votes/.test(error.reason),
    );
    team.stop();
  });
});
