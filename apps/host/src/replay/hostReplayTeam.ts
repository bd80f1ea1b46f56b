// The team `troupe replay` runs a recorded task on: the host's agents the recording's team had (echo
// and those of TROUPE_AGENTS, built as `troupe start` builds them, routed the same way) and a
// program's own agents it names. No model, store or surface: the replay provides what they gave.
import { echo } from "@troupe/agents";
import { type AnyAgentDefinition, type ReplayTeam, silentLogger } from "@troupe/runtime";
import { MODEL_AGENTS, type ModelAgentName } from "../config/hostConfig.ts";
import { hostRouting, modelAgent } from "../team/createHostTeam.ts";

/** The host's team for a recording whose team had the agents `names`. */
export const hostReplayTeam = (
  names: readonly string[],
  extra: readonly AnyAgentDefinition[] = [],
): ReplayTeam => {
  const agents: AnyAgentDefinition[] = [];
  const models = names.filter((name): name is ModelAgentName =>
    (MODEL_AGENTS as readonly string[]).includes(name),
  );
  agents.push(
    echo,
    ...models.map((name) => modelAgent(name, { agents: () => agents, logger: silentLogger })),
    ...extra.filter((agent) => names.includes(agent.name)),
  );
  return { agents, ...hostRouting(models) };
};
