// Test support: the stand-in agents tests add to the real `troupe` (slow, gate, approver, …), chosen
// by name with TROUPE_TEST_AGENTS. Only the tests' executable (troupeWithTestAgents.ts) reads it: the
// host's own wiring never imports this folder, and the built package does not contain it.
import { type AnyAgentDefinition, TroupeError } from "@troupe/runtime";
import { approverAgent } from "./approverAgent.ts";
import { askerAgent } from "./askerAgent.ts";
import { crasherAgent } from "./crasherAgent.ts";
import { fileAgent } from "./fileAgent.ts";
import { gateAgent } from "./gateAgent.ts";
import { longReplyAgent } from "./longReplyAgent.ts";
import { recallerAgent } from "./recallerAgent.ts";
import { slowAgent } from "./slowAgent.ts";
import { soakAgent } from "./soakAgent.ts";
import { stallAgent } from "./stallAgent.ts";
import { toolAgent } from "./toolAgent.ts";

const TEST_AGENTS: Record<string, AnyAgentDefinition> = {
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
  stall: stallAgent,
};

/** The test agents a comma-separated list names (TROUPE_TEST_AGENTS); InvalidCommand on an unknown one. */
export const testAgentsNamed = (list: string | undefined): AnyAgentDefinition[] =>
  (list ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => {
      const agent = TEST_AGENTS[name];
      if (!agent)
        throw new TroupeError(
          "InvalidCommand",
          `TROUPE_TEST_AGENTS knows only ${Object.keys(TEST_AGENTS).join(", ")}, got "${name}"`,
        );
      return agent;
    });
