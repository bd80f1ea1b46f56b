// The one way the host builds its team from its settings, for `troupe start` and `troupe mcp` alike:
// the default agents and the model agents of TROUPE_AGENTS, plus the agents a program gave main()
// (the tests' stand-ins among them), with the surface's human gateway, the MCP tools and the memory
// stores each command opened.
import type { Team } from "@troupe/runtime";
import type { HostConfig } from "../config/hostConfig.ts";
import { createHostTeam, type HostTeamOptions } from "./createHostTeam.ts";

export const teamFromConfig = (
  config: Pick<HostConfig, "modelAgents" | "maxTaskBytes">,
  parts: Omit<HostTeamOptions, "modelAgents" | "maxTaskBytes">,
): Team => createHostTeam({ ...parts, modelAgents: config.modelAgents, maxTaskBytes: config.maxTaskBytes });
