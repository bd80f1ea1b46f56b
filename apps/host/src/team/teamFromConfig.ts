// The one way the host builds its team from its settings, for `troupe start` and `troupe mcp` alike:
// the default agents, the model agents of TROUPE_AGENTS and the test agents of TROUPE_TEST_AGENTS,
// with the surface's human gateway, the MCP tools and the memory stores each command opened.
import type { Team } from "@troupe/runtime";
import type { HostConfig, TestAgentName } from "../config/hostConfig.ts";
import { approverAgent } from "../testing/approverAgent.ts";
import { askerAgent } from "../testing/askerAgent.ts";
import { crasherAgent } from "../testing/crasherAgent.ts";
import { fileAgent } from "../testing/fileAgent.ts";
import { gateAgent } from "../testing/gateAgent.ts";
import { longReplyAgent } from "../testing/longReplyAgent.ts";
import { recallerAgent } from "../testing/recallerAgent.ts";
import { slowAgent } from "../testing/slowAgent.ts";
import { soakAgent } from "../testing/soakAgent.ts";
import { toolAgent } from "../testing/toolAgent.ts";
import { createHostTeam, type HostTeamOptions } from "./createHostTeam.ts";

const TEST_AGENTS = {
  slow: slowAgent,
  gate: gateAgent,
  long: longReplyAgent,
  approver: approverAgent,
  asker: askerAgent,
  tooler: toolAgent,
  recaller: recallerAgent,
  file: fileAgent,
  crasher: crasherAgent,
  soak: soakAgent,
} as const satisfies Record<TestAgentName, unknown>;

export const teamFromConfig = (
  config: Pick<HostConfig, "modelAgents" | "testAgents">,
  parts: Omit<HostTeamOptions, "modelAgents" | "extraAgents">,
): Team =>
  createHostTeam({
    ...parts,
    modelAgents: config.modelAgents,
    extraAgents: config.testAgents.map((name) => TEST_AGENTS[name]),
  });
