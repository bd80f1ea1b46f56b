// The orchestrator: routes free text to the right agent and turns a multi-part request into a
// fan-out. `createOrchestrator({ llm })` gives both the agent and `classify`, the supervisor's
// classifier (rules first, the model second, a fallback). The agent splits a request (a list, or
// parts separated by ";"), classifies each part, delegates the parts in parallel with
// `ctx.delegate` (so the team's wait-for graph, deadlines and cancellation apply to each), and joins
// the answers into one summary. A failed part is reported in the result, not a failure of the whole.
// A follow-up's conversation and notes go with each part, so the agent that answers it has them.
import {
  type AgentContext,
  type AnyAgentDefinition,
  type Classifier,
  defineAgent,
  type Task,
} from "@troupe/runtime";
import type { Llm } from "@troupe/runtime/llm";
import { Schema } from "effect";
import { defineFormatters, shorten, textOf } from "../format/Formatters.ts";
import {
  type AgentSummary,
  type Classification,
  type ClassifyRule,
  classifyRequest,
  defaultClassifyRules,
} from "./classifyRequest.ts";
import { splitRequest } from "./splitRequest.ts";

export const OrchestratorPart = Schema.Struct({
  request: Schema.String,
  /** The agent that answered; null when the team routed the part itself. */
  agent: Schema.NullOr(Schema.String),
  routedBy: Schema.Literals(["rule", "model", "fallback", "team"]),
  status: Schema.Literals(["succeeded", "failed"]),
  /** The answer as text (the agent's `text`, `summary` or `answer`, else its JSON). */
  answer: Schema.String,
  error: Schema.optional(Schema.String),
});
export type OrchestratorPart = typeof OrchestratorPart.Type;

export const OrchestratorResult = Schema.Struct({
  request: Schema.String,
  parts: Schema.Array(OrchestratorPart),
  summary: Schema.String,
});
export type OrchestratorResult = typeof OrchestratorResult.Type;

export interface OrchestratorOptions {
  /** The model for `classify` (and for the agent, instead of `ctx.llm`); a function is called lazily, once. */
  readonly llm?: Llm | (() => Llm);
  /** The agents the orchestrator may hand parts to; without it each part is routed by the team. */
  readonly agents?: readonly (AgentSummary | AnyAgentDefinition)[] | (() => readonly AgentSummary[]);
  /** Keyword rules tried before the model (default: `defaultClassifyRules`). */
  readonly rules?: readonly ClassifyRule[];
  /** The agent when neither a rule nor the model decides (else the team's own fallback). */
  readonly fallback?: string;
  /** The agent's name (default "orchestrator"). */
  readonly name?: string;
}

export interface Orchestrator {
  readonly agent: ReturnType<typeof defineOrchestratorAgent>;
  /** For `createSupervisor({ classify })`: a multi-part request goes to the orchestrator itself. */
  readonly classify: Classifier;
}

export const orchestratorFormatters = defineFormatters<OrchestratorResult>({
  markdown: (result) =>
    result.parts.length <= 1
      ? result.summary
      : [
          result.summary,
          "",
          ...result.parts.map(
            (part) =>
              `- **${part.agent ?? "team"}** — ${part.request}: ${part.status === "succeeded" ? part.answer : `❌ ${part.error ?? "failed"}`}`,
          ),
        ].join("\n"),
  text: (result) =>
    result.parts.length <= 1
      ? result.summary
      : [
          result.summary,
          ...result.parts.map(
            (part) =>
              `[${part.agent ?? "team"}] ${part.request}: ${part.status === "succeeded" ? part.answer : `failed: ${part.error ?? "unknown error"}`}`,
          ),
        ].join("\n"),
  notification: (result) => {
    const failed = result.parts.filter((part) => part.status === "failed").length;
    const head =
      result.parts.length <= 1
        ? ""
        : `${result.parts.length} parts${failed > 0 ? `, ${failed} failed` : ""}: `;
    return shorten(`${head}${result.summary}`, 140);
  },
});

const summaryOf = (parts: readonly OrchestratorPart[]): string => {
  if (parts.length === 1) {
    const [part] = parts;
    return part!.status === "succeeded" ? part!.answer : `failed: ${part!.error ?? "unknown error"}`;
  }
  const ok = parts.filter((part) => part.status === "succeeded").length;
  const each = parts.map(
    (part) =>
      `${part.agent ?? "team"} — ${part.status === "succeeded" ? shorten(part.answer, 80) : "failed"}`,
  );
  return `${ok} of ${parts.length} parts answered: ${each.join("; ")}.`;
};

/** The parts given as structured input (`{ parts: ["…", { text, agent }] }`), if any. */
const partsFromInput = (task: Task): { text: string; agent?: string }[] | undefined => {
  const input = task.input as { parts?: unknown } | undefined;
  if (!input || typeof input !== "object" || !Array.isArray(input.parts)) return undefined;
  return input.parts.flatMap((part: unknown) => {
    if (typeof part === "string") return [{ text: part }];
    if (part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string") {
      const { text, agent } = part as { text: string; agent?: unknown };
      return [typeof agent === "string" ? { text, agent } : { text }];
    }
    return [];
  });
};

const defineOrchestratorAgent = (
  name: string,
  run: (task: Task, ctx: AgentContext) => Promise<OrchestratorResult>,
) =>
  defineAgent({
    name,
    description:
      "Routes a request to the right agent; splits a multi-part request (a list, or parts separated by ';') into parallel tasks and joins the answers.",
    capabilities: ["orchestrate", "route"],
    model: "orchestrator",
    handle: run,
  });

export const createOrchestrator = (options: OrchestratorOptions = {}): Orchestrator => {
  const name = options.name ?? "orchestrator";
  const rules = options.rules ?? defaultClassifyRules;
  let model: Llm | undefined;
  /** The factory's model; one that cannot be made (a bad OLLAMA_HOST, say) counts as none: rules and fallback. */
  const factoryLlm = (): Llm | undefined => {
    if (model || options.llm === undefined) return model;
    try {
      model = typeof options.llm === "function" ? options.llm() : options.llm;
    } catch {
      return undefined;
    }
    return model;
  };
  const roster = (): AgentSummary[] | undefined => {
    const agents = typeof options.agents === "function" ? options.agents() : options.agents;
    return agents
      ?.map(({ name, description, capabilities }) => ({ name, description, capabilities }))
      .filter((agent) => agent.name !== name);
  };

  const classify: Classifier = async (task, agents, signal) => {
    const others = agents.filter((agent) => agent.name !== name);
    if (agents.some((agent) => agent.name === name) && splitRequest(task.text).length > 1) return name;
    const choice = await classifyRequest(task.text, others, {
      rules,
      llm: factoryLlm(),
      fallback: options.fallback,
      signal,
    });
    return choice.agent;
  };

  const agentLlm = (ctx: AgentContext): Llm | undefined => {
    const own = factoryLlm();
    if (own) return own;
    try {
      const llm = ctx.llm;
      void llm.model; // a team without models throws here: classify with rules and fallback only
      return llm;
    } catch {
      return undefined;
    }
  };

  const agent = defineOrchestratorAgent(name, async (task, ctx) => {
    const given = partsFromInput(task);
    const parts: { text: string; agent?: string }[] =
      given ?? splitRequest(task.text).map((text) => ({ text }));
    const request = task.text || parts.map((part) => part.text).join("; ");
    if (parts.length === 0) return { request, parts: [], summary: "Nothing to do: the request is empty." };
    const agents = roster();
    const llm = agents ? agentLlm(ctx) : undefined;
    const routes = await Promise.all(
      parts.map(async (part): Promise<{ agent: string | undefined; by: OrchestratorPart["routedBy"] }> => {
        if (part.agent) return { agent: part.agent, by: "rule" };
        if (!agents) return { agent: undefined, by: "team" };
        const choice: Classification = await classifyRequest(part.text, agents, {
          rules,
          llm,
          fallback: options.fallback,
          signal: ctx.signal,
        });
        return choice.agent ? { agent: choice.agent, by: choice.by } : { agent: undefined, by: "team" };
      }),
    );
    ctx.progress(
      `asking ${routes.map((route, index) => route.agent ?? `the team (part ${index + 1})`).join(", ")}`,
    );
    const settled = await Promise.allSettled(
      parts.map((part, index) =>
        ctx.delegate({
          text: part.text,
          ...(routes[index]!.agent ? { agent: routes[index]!.agent } : {}),
          ...(task.from ? { from: task.from } : {}),
          ...(task.channel ? { channel: task.channel } : {}),
          // A follow-up's memory goes with each part: the conversation so far and the pinned notes.
          ...(task.conversation.length > 0 ? { conversation: task.conversation } : {}),
          ...(task.notes.length > 0 ? { notes: task.notes } : {}),
        }),
      ),
    );
    const results: OrchestratorPart[] = settled.map((outcome, index) => {
      const base = {
        request: parts[index]!.text,
        agent: routes[index]!.agent ?? null,
        routedBy: routes[index]!.by,
      };
      return outcome.status === "fulfilled"
        ? { ...base, status: "succeeded", answer: textOf(outcome.value) }
        : {
            ...base,
            status: "failed",
            answer: "",
            error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason),
          };
    });
    return { request, parts: results, summary: summaryOf(results) };
  });

  return { agent, classify };
};
