// The team the host runs in local mode: echo and the system monitor, routed by mention, then
// capability, with echo taking whatever nothing else matched. The monitor reads the team's own status
// and checks the host every MONITOR_EVERY_MS, raising alerts (alert.raised / alert.resolved, with
// hysteresis) on the team's bus, where the notifier and the Redis mirror pick them up.
// The host passes its bus (shared with the work queue and the Redis mirror) and its snapshot store.
import {
  createCodeAgent,
  createConsensus,
  createOrchestrator,
  createResearch,
  createSystemMonitor,
  echo,
  type ThresholdsInput,
} from "@troupe/agents";
import {
  type AnyAgentDefinition,
  createSupervisor,
  EventBus,
  type HumanGateway,
  type Logger,
  route,
  type SnapshotStore,
  type Team,
} from "@troupe/runtime";
import type { LlmMetricsHook, LlmTool } from "@troupe/runtime/llm";
import type { TeamMemory } from "@troupe/runtime/memory";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import type { ModelAgentName } from "../config/hostConfig.ts";

export interface HostTeamOptions {
  readonly logger: Logger;
  readonly bus?: EventBus;
  readonly snapshots?: SnapshotStore;
  /** Who answers the agents' questions and approvals (the console's gateway). */
  readonly human?: HumanGateway;
  /** The tools each agent may give its model (its MCP allow-list). */
  readonly tools?: (agent: string) => readonly LlmTool[];
  /** Conversation and semantic memory for ctx.memory. */
  readonly memory?: TeamMemory;
  /** Where the agents' model calls are counted (filled in once the metrics registry exists). */
  readonly llmMetrics?: { readonly hook?: LlmMetricsHook };
  /** The system monitor's thresholds over its defaults (TROUPE_MONITOR_THRESHOLDS). */
  readonly monitorThresholds?: ThresholdsInput;
  /** Agents that need a local model (TROUPE_AGENTS); each role's model comes from MODEL_<ROLE>. */
  readonly modelAgents?: readonly ModelAgentName[];
  /** Agents added after the default ones (test support: TROUPE_TEST_AGENTS). */
  readonly extraAgents?: readonly AnyAgentDefinition[];
}

const modelAgent = (name: ModelAgentName): AnyAgentDefinition => {
  switch (name) {
    case "orchestrator":
      return createOrchestrator({ fallback: echo.name }).agent;
    case "research":
      return createResearch();
    case "code":
      // Without a workspace the code agent reads and answers; it never writes or runs anything.
      return createCodeAgent();
    case "consensus":
      return createConsensus();
  }
};

/** How often the system monitor checks the host and the team when nobody asks it. */
export const MONITOR_EVERY_MS = 30_000;

export const createHostTeam = (options: HostTeamOptions): Team => {
  let team: Team | undefined;
  const bus = options.bus ?? new EventBus();
  const systemMonitor = createSystemMonitor({
    // The monitor only runs once the team exists, so `team` is set by then.
    status: () => team!.status(),
    bus,
    ...(options.monitorThresholds ? { thresholds: options.monitorThresholds } : {}),
  });
  team = createSupervisor({
    agents: [
      echo,
      systemMonitor,
      ...(options.modelAgents ?? []).map(modelAgent),
      ...(options.extraAgents ?? []),
    ],
    // Only agents that ask for ctx.llm reach Ollama; a task that needs it while Ollama is down fails
    // with the ModelUnavailable message naming OLLAMA_HOST, and the rest of the team runs on.
    llm: (role) =>
      createOllamaLlm({
        role,
        logger: options.logger,
        metrics: { observe: (call) => options.llmMetrics?.hook?.observe(call) },
      }),
    routes: [route.mention(), route.capability()],
    fallback: echo.name,
    logger: options.logger,
    bus,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    ...(options.human ? { human: options.human } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
  });
  const logger = options.logger;
  const checks = setInterval(() => {
    systemMonitor
      .check()
      .catch((error: unknown) => logger.log("warn", "the system monitor's check failed", { error }));
  }, MONITOR_EVERY_MS);
  checks.unref();
  const stopChecks = () => clearInterval(checks);
  team.closed.then(stopChecks, stopChecks);
  return team;
};
