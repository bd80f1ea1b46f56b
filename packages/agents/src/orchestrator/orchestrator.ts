// The orchestrator: routes free text to the right agent or agents and turns a multi-part request into
// a fan-out. Its agent is a statechart (splitting → classifying → routingOne | fanningOut → joining),
// each step a named invoked actor carrying the task's signal. `createOrchestrator({ llm })` gives both the agent and `classify`, the supervisor's
// classifier (rules first, the model second, a fallback). The agent splits a request (a list, or
// parts separated by ";"), routes each part (a leading "@agent" names it; else rules, then the model,
// which may give a part to several agents, then the fallback), delegates every branch in parallel
// with `ctx.delegate` (so the team's wait-for graph, deadlines and cancellation apply to each), and
// joins the answers into one summary. It never hands a part to itself. A failed part is reported in
// the result, not a failure of the whole. A follow-up's conversation and notes go with each part.
// When its model cannot answer, the rules route alone: the result says so, and the logger is told
// once, until the model answers again.
import {
  type AgentContext,
  type AgentMachineInput,
  type AnyAgentDefinition,
  type Classifier,
  defineAgent,
  type Logger,
  leadingMention,
  silentLogger,
  type Task,
  type TaskInput,
  taskStep,
} from "@troupe/runtime";
import type { Llm } from "@troupe/runtime/llm";
import { Schema } from "effect";
import { assign, setup } from "xstate";
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
  /** Why the model could not route (the rules did instead), when it could not. */
  modelUnavailable: Schema.optional(Schema.String),
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
  /** Told once when the model stops answering (the rules route meanwhile), and when it answers again. */
  readonly logger?: Logger;
}

export interface Orchestrator {
  readonly agent: ReturnType<typeof defineOrchestratorAgent>;
  /** For `createSupervisor({ classify })`: a multi-part request goes to the orchestrator itself. */
  readonly classify: Classifier;
}

/** Who took a one-part request and how it was chosen: "research took it, picked by the model". */
const routingNote = (result: OrchestratorResult): string => {
  const [part] = result.parts;
  if (!part) return "";
  if (part.agent === null || part.routedBy === "team") return "the team routed it";
  if (result.modelUnavailable !== undefined)
    return `${part.agent} took it by the rules: the orchestrator's model is unavailable (${result.modelUnavailable})`;
  const how = { rule: "by rule", model: "picked by the model", fallback: "as nothing else fit" } as const;
  return `${part.agent} took it, ${how[part.routedBy]}`;
};

/** A many-part request's note when the model could not route its parts. */
const unavailableNote = (result: OrchestratorResult): string[] =>
  result.modelUnavailable === undefined
    ? []
    : [`The rules routed the parts: the orchestrator's model is unavailable (${result.modelUnavailable}).`];

export const orchestratorFormatters = defineFormatters<OrchestratorResult>({
  markdown: (result) =>
    result.parts.length <= 1
      ? [result.summary, ...(result.parts.length === 1 ? ["", `_${routingNote(result)}_`] : [])].join("\n")
      : [
          result.summary,
          "",
          ...result.parts.map(
            (part) =>
              `- **${part.agent ?? "team"}** — ${part.request}: ${part.status === "succeeded" ? part.answer : `❌ ${part.error ?? "failed"}`}`,
          ),
          ...unavailableNote(result).map((note) => `\n_${note}_`),
        ].join("\n"),
  text: (result) =>
    result.parts.length <= 1
      ? [result.summary, ...(result.parts.length === 1 ? [`(${routingNote(result)})`] : [])].join("\n")
      : [
          result.summary,
          ...result.parts.map(
            (part) =>
              `[${part.agent ?? "team"}] ${part.request}: ${part.status === "succeeded" ? part.answer : `failed: ${part.error ?? "unknown error"}`}`,
          ),
          ...unavailableNote(result),
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

/** What the run keeps between steps: plain JSON, saved after every step. */
interface OrchestratorContext {
  readonly request: string;
  readonly parts: readonly { text: string; agent?: string }[];
  /** What goes with every branch: who asked, where, and a follow-up's conversation and notes. */
  readonly carry: Omit<TaskInput, "text">;
  readonly branches: readonly Branch[];
  readonly modelUnavailable: string | undefined;
  readonly results: readonly OrchestratorPart[];
}

type Routed = { branches: readonly Branch[]; modelUnavailable: string | undefined };

/** The orchestrator's chart: splitting → classifying → routingOne | fanningOut → joining. */
const orchestratorMachine = (
  name: string,
  classifyParts: ReturnType<typeof taskStep<Routed, { parts: OrchestratorContext["parts"] }>>,
) => {
  const delegateAll = taskStep<
    OrchestratorPart[],
    { branches: readonly Branch[]; carry: OrchestratorContext["carry"] }
  >(async ({ input, ctx }) => {
    const { branches, carry } = input;
    ctx.progress(
      `asking ${branches.map((branch, index) => branch.agent ?? `the team (part ${index + 1})`).join(", ")}`,
    );
    const settled = await Promise.allSettled(
      branches.map((branch) =>
        ctx.delegate({ ...carry, text: branch.text, ...(branch.agent ? { agent: branch.agent } : {}) }),
      ),
    );
    return settled.map((outcome, index) => {
      const branch = branches[index]!;
      const base = { request: branch.text, agent: branch.agent ?? null, routedBy: branch.by };
      return outcome.status === "fulfilled"
        ? { ...base, status: "succeeded" as const, answer: textOf(outcome.value) }
        : {
            ...base,
            status: "failed" as const,
            answer: "",
            error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason),
          };
    });
  });
  return setup({
    types: {} as { input: AgentMachineInput; context: OrchestratorContext; output: OrchestratorResult },
    actors: { classifyParts, delegateAll },
    guards: {
      isEmpty: ({ context }) => context.parts.length === 0,
      isOnePart: ({ context }) => context.branches.length === 1,
    },
    actions: {
      takeResults: assign({
        results: ({ event }) => (event as unknown as { output: OrchestratorPart[] }).output,
      }),
    },
  }).createMachine({
    id: name,
    context: ({ input: { task } }) => {
      const parts = partsFromInput(task) ?? splitRequest(task.text).map((text) => ({ text }));
      return {
        request: task.text || parts.map((part) => part.text).join("; "),
        parts,
        carry: {
          ...(task.from ? { from: task.from } : {}),
          ...(task.channel ? { channel: task.channel } : {}),
          // A follow-up's memory goes with each part: the conversation so far and the pinned notes.
          ...(task.conversation.length > 0 ? { conversation: task.conversation } : {}),
          ...(task.notes.length > 0 ? { notes: task.notes } : {}),
        },
        branches: [],
        modelUnavailable: undefined,
        results: [],
      };
    },
    initial: "splitting",
    states: {
      splitting: {
        always: [{ guard: "isEmpty", target: "done" }, { target: "classifying" }],
      },
      classifying: {
        invoke: {
          src: "classifyParts",
          input: ({ context }) => ({ parts: context.parts }),
          onDone: { target: "routing", actions: assign(({ event }) => event.output) },
        },
      },
      routing: {
        always: [{ guard: "isOnePart", target: "routingOne" }, { target: "fanningOut" }],
      },
      routingOne: {
        invoke: {
          src: "delegateAll",
          input: ({ context }) => ({ branches: context.branches, carry: context.carry }),
          onDone: { target: "joining", actions: "takeResults" },
        },
      },
      fanningOut: {
        invoke: {
          src: "delegateAll",
          input: ({ context }) => ({ branches: context.branches, carry: context.carry }),
          onDone: { target: "joining", actions: "takeResults" },
        },
      },
      joining: { always: "done" },
      done: { type: "final" },
    },
    output: ({ context }) => ({
      request: context.request,
      parts: context.results,
      summary:
        context.parts.length === 0 ? "Nothing to do: the request is empty." : summaryOf(context.results),
      ...(context.modelUnavailable === undefined ? {} : { modelUnavailable: context.modelUnavailable }),
    }),
  });
};

const defineOrchestratorAgent = (name: string, machine: ReturnType<typeof orchestratorMachine>) =>
  defineAgent({
    name,
    description:
      "Routes a request to the right agent; splits a multi-part request (a list, or parts separated by ';') into parallel tasks and joins the answers.",
    capabilities: ["orchestrate", "route"],
    format: orchestratorFormatters,
    model: "orchestrator",
    machine,
  });

/** One branch of the fan-out: a part's text and the agent it goes to (undefined: the team routes it). */
interface Branch {
  readonly text: string;
  readonly agent: string | undefined;
  readonly by: OrchestratorPart["routedBy"];
}

export const createOrchestrator = (options: OrchestratorOptions = {}): Orchestrator => {
  const name = options.name ?? "orchestrator";
  const rules = options.rules ?? defaultClassifyRules;
  const logger = options.logger ?? silentLogger;
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

  /** Whether the model answered the last time it was asked: a change is logged, so an outage is told once. */
  let modelState: "answering" | "unavailable" = "answering";
  const noteModel = (classifications: readonly Classification[]) => {
    const failure = classifications.find((choice) => choice.modelFailure !== undefined)?.modelFailure;
    if (failure !== undefined && modelState === "answering") {
      modelState = "unavailable";
      logger.log("warn", "the orchestrator's model is unavailable: the rules route until it answers again", {
        agent: name,
        reason: failure,
      });
    } else if (
      failure === undefined &&
      modelState === "unavailable" &&
      classifications.some((c) => c.by === "model")
    ) {
      modelState = "answering";
      logger.log("info", "the orchestrator's model answers again", { agent: name });
    }
    return failure;
  };

  const classify: Classifier = async (task, agents, signal) => {
    const others = agents.filter((agent) => agent.name !== name);
    const withSelf = agents.some((agent) => agent.name === name);
    if (withSelf && splitRequest(task.text).length > 1) return name;
    const choice = await classifyRequest(task.text, others, {
      rules,
      llm: factoryLlm(),
      fallback: options.fallback,
      signal,
    });
    noteModel([choice]);
    // Several agents for one request: the orchestrator fans it out, when it is in the team.
    return choice.agents.length > 1 && withSelf ? name : choice.agents[0];
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

  /** Where one part goes: its "@agent", the agent given with it, else rules, model and fallback. */
  const route = async (
    part: { text: string; agent?: string },
    agents: readonly AgentSummary[] | undefined,
    llm: Llm | undefined,
    signal: AbortSignal,
  ): Promise<{ branches: Branch[]; choice?: Classification }> => {
    const mention = leadingMention(part.text);
    const inRoster = (agent: string) => agent !== name && (agents?.some((a) => a.name === agent) ?? false);
    // "@research …" names the part's agent; "@orchestrator …" is this agent's own address: it goes,
    // and the part is routed like any other. The orchestrator never hands a part to itself.
    const text = mention && (mention.agent === name || inRoster(mention.agent)) ? mention.rest : part.text;
    const named =
      part.agent !== undefined && part.agent !== name
        ? part.agent
        : mention && inRoster(mention.agent)
          ? mention.agent
          : undefined;
    if (named !== undefined) return { branches: [{ text, agent: named, by: "rule" }] };
    if (!agents) return { branches: [{ text, agent: undefined, by: "team" }] };
    const choice = await classifyRequest(text, agents, { rules, llm, fallback: options.fallback, signal });
    const branches: Branch[] =
      choice.agents.length === 0
        ? [{ text, agent: undefined, by: "team" }]
        : choice.agents.map((agent) => ({ text, agent, by: choice.by }));
    return { branches, choice };
  };

  const classifyParts = taskStep<Routed, { parts: OrchestratorContext["parts"] }>(async ({ input, ctx }) => {
    const agents = roster();
    const llm = agents ? agentLlm(ctx) : undefined;
    const routed = await Promise.all(input.parts.map((part) => route(part, agents, llm, ctx.signal)));
    const modelUnavailable = noteModel(routed.flatMap((one) => (one.choice ? [one.choice] : [])));
    return { branches: routed.flatMap((one) => one.branches), modelUnavailable };
  });
  const agent = defineOrchestratorAgent(name, orchestratorMachine(name, classifyParts));

  return { agent, classify };
};
