// Routing rules: how a task finds its agent. Rules are tried in order; each says which agents may
// take the task and how to choose among them (the allocation strategy of that route).

import type { AnyAgentDefinition } from "../agent/defineAgent.ts";
import { mentionsIn } from "../task/mentions.ts";
import type { Task } from "../task/Task.ts";
import { type Duration, toMillis } from "../time/duration.ts";

/** How one agent is chosen when several can take a task. */
export type Allocation =
  | { readonly kind: "first-idle" }
  | { readonly kind: "least-loaded" }
  | { readonly kind: "auction"; readonly bidDeadlineMs: number };

export type AllocationOption =
  | "first-idle"
  | "least-loaded"
  | "auction"
  | { auction: { bidDeadline: Duration } };

export interface RouteMatch {
  /** The rule that matched, e.g. `channel:deploys`, for events and NoRoute messages. */
  readonly rule: string;
  readonly candidates: readonly string[];
  readonly allocation: Allocation;
}

export interface Route {
  /** How the rule is named in a NoRoute error ("command", "channel", "mention", "capability"). */
  readonly kind: string;
  /** The agents this rule names, checked against the team when it starts. */
  readonly targets?: readonly string[];
  match(task: Task, agents: readonly AnyAgentDefinition[]): RouteMatch | undefined;
}

export interface RouteOptions {
  readonly allocate?: AllocationOption;
}

const toAllocation = (option: AllocationOption | undefined): Allocation => {
  if (option === undefined || option === "least-loaded") return { kind: "least-loaded" };
  if (option === "first-idle") return { kind: "first-idle" };
  if (option === "auction") return { kind: "auction", bidDeadlineMs: 1_000 };
  return { kind: "auction", bidDeadlineMs: toMillis(option.auction.bidDeadline, "auction.bidDeadline") };
};

const list = (agents: string | readonly string[]) => (typeof agents === "string" ? [agents] : agents);

export const route = {
  /** A slash command ("/summarize") goes to the named agent(s). */
  command(command: string, agents: string | readonly string[], options: RouteOptions = {}): Route {
    const name = command.startsWith("/") ? command : `/${command}`;
    const allocation = toAllocation(options.allocate);
    return {
      kind: "command",
      targets: list(agents),
      match: (task) =>
        task.command === name ? { rule: `command:${name}`, candidates: list(agents), allocation } : undefined,
    };
  },
  /** Every task from a channel goes to the named agent(s): the channel is the agent's queue. */
  channel(channel: string, agents: string | readonly string[], options: RouteOptions = {}): Route {
    const allocation = toAllocation(options.allocate);
    return {
      kind: "channel",
      targets: list(agents),
      match: (task) =>
        task.channel === channel
          ? { rule: `channel:${channel}`, candidates: list(agents), allocation }
          : undefined,
    };
  },
  /** "@name …" in the text goes to that agent (the first mentioned agent that exists). */
  mention(options: RouteOptions = {}): Route {
    const allocation = toAllocation(options.allocate);
    return {
      kind: "mention",
      match: (task, agents) => {
        const name = mentionsIn(task.text).find((mentioned) =>
          agents.some((agent) => agent.name === mentioned),
        );
        return name === undefined ? undefined : { rule: `mention:@${name}`, candidates: [name], allocation };
      },
    };
  },
  /** A task's `needs` go to the agents that have all of those capabilities. */
  capability(options: RouteOptions = {}): Route {
    const allocation = toAllocation(options.allocate);
    return {
      kind: "capability",
      match: (task, agents) => {
        if (task.needs.length === 0) return undefined;
        const candidates = agents
          .filter((agent) => task.needs.every((need) => agent.capabilities.includes(need)))
          .map((agent) => agent.name);
        return candidates.length === 0
          ? undefined
          : { rule: `capability:${task.needs.join("+")}`, candidates, allocation };
      },
    };
  },
};

/** A classifier picks an agent for what no rule matched (the LLM orchestrator is one). */
export type Classifier = (
  task: Task,
  agents: readonly { name: string; description: string; capabilities: readonly string[] }[],
  signal: AbortSignal,
) => Promise<string | undefined> | string | undefined;
