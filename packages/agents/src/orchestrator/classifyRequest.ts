// Which agent or agents should take a request: keyword rules first (cheap, predictable), then the
// model, whose answer is a list of the team's agent names (checked with Effect Schema, retried once by
// chatStructured; several names when the request needs each of them), then a fallback. A model that
// is missing, down or confused never fails a task: the answer falls through to the fallback, and the
// caller is told how the choice was made and, when the model failed, why.
import type { Llm } from "@troupe/runtime/llm";
import { Schema } from "effect";

export interface AgentSummary {
  readonly name: string;
  readonly description: string;
  readonly capabilities: readonly string[];
}

/** A keyword rule: a request matching `match` goes to `agent` (when the agent is in the team). */
export interface ClassifyRule {
  readonly agent: string;
  readonly match: RegExp;
}

/** The rules for the ready agents of this package. */
export const defaultClassifyRules: readonly ClassifyRule[] = [
  {
    agent: "scheduler",
    match: /^\/(?:schedule|schedules|unschedule)\b|\b(?:every (?:day|hour|week|\d+\s*[smhd])|remind me)\b/i,
  },
  { agent: "watchlist", match: /\b(?:stocks?|quotes?|tickers?|share price|watchlist)\b|\$[A-Z]{1,5}\b/i },
  {
    agent: "code",
    match:
      /\b(?:code|diff|patch|review|refactor|function|typescript|javascript|compile|stack trace|bug)\b|```/i,
  },
  {
    agent: "system-monitor",
    match: /\b(?:cpu|load average|memory|disk|breakers?|queue depth|dead letters?|health)\b/i,
  },
  { agent: "research", match: /\b(?:research|look up|find out|sources?|compare|what is|who is|explain)\b/i },
];

export interface Classification {
  /** The chosen agents: one, or several when the model gives the request to each; none when nothing fits and there is no fallback. */
  readonly agents: readonly string[];
  readonly by: "rule" | "model" | "fallback";
  /** Why: the rule's pattern, the model's reason, or why the fallback was used. */
  readonly reason: string;
  /** Set when the model was asked and could not answer (unreachable, or off-schema after a retry): why. */
  readonly modelFailure?: string;
}

export interface ClassifyOptions {
  readonly rules?: readonly ClassifyRule[];
  /** The model to ask when no rule matched; no model means rules and fallback only. */
  readonly llm?: Llm | undefined;
  readonly fallback?: string | undefined;
  readonly signal?: AbortSignal;
}

const makeChoice = (names: readonly string[]) =>
  Schema.Struct({ agents: Schema.Array(Schema.Literals(names)), reason: Schema.String });
const choiceSchemas = new Map<string, ReturnType<typeof makeChoice>>();

/** `{ agents: some of the names (none when none fits), reason }`, one schema per roster (jsonSchemaOf caches by identity). */
const choiceSchema = (names: readonly string[]) => {
  const key = names.join("\n");
  let schema = choiceSchemas.get(key);
  if (!schema) {
    schema = makeChoice(names);
    choiceSchemas.set(key, schema);
  }
  return schema;
};

const prompt = (text: string, agents: readonly AgentSummary[]) => [
  {
    role: "system" as const,
    content: [
      "You route a request to the agent best suited to it, or to each of several agents when it needs all of them. The agents:",
      ...agents.map(
        (agent) =>
          `- ${agent.name}: ${agent.description || "(no description)"}${agent.capabilities.length ? ` [${agent.capabilities.join(", ")}]` : ""}`,
      ),
      'Answer JSON {"agents": [<names above; usually one; [] if none fits>], "reason": <a few words>}.',
    ].join("\n"),
  },
  { role: "user" as const, content: text },
];

export const classifyRequest = async (
  text: string,
  agents: readonly AgentSummary[],
  options: ClassifyOptions = {},
): Promise<Classification> => {
  const names = agents.map((agent) => agent.name);
  for (const rule of options.rules ?? defaultClassifyRules) {
    if (names.includes(rule.agent) && rule.match.test(text))
      return { agents: [rule.agent], by: "rule", reason: `matched ${rule.match.source}` };
  }
  const fallback = (reason: string): Classification => ({
    agents: options.fallback !== undefined && names.includes(options.fallback) ? [options.fallback] : [],
    by: "fallback",
    reason,
  });
  if (!options.llm) return fallback("no rule matched and there is no model");
  if (names.length === 0) return fallback("no agents to choose from");
  try {
    const reply = await options.llm.chatStructured(prompt(text, agents), choiceSchema(names), {
      ...(options.signal ? { signal: options.signal } : {}),
      temperature: 0,
    });
    const { reason } = reply.value;
    const chosen = [...new Set(reply.value.agents)];
    if (chosen.length === 0) return fallback(`the model found no agent: ${reason}`);
    return { agents: chosen, by: "model", reason };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const failure = error instanceof Error ? error.message : String(error);
    return { ...fallback(`the model could not classify: ${failure}`), modelFailure: failure };
  }
};
