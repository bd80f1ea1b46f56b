// The team the host runs: echo and the system monitor, and the model agents of TROUPE_AGENTS, routed
// by mention, then capability. What no rule takes goes to the orchestrator when it is in the team (it
// asks its model which agent or agents should answer, falling back to its rules and echo), else to
// echo. The monitor reads the team's own status
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
  type TaskIo,
  type Team,
} from "@troupe/runtime";
import type { LlmMetricsHook, LlmTool } from "@troupe/runtime/llm";
import type { TeamMemory } from "@troupe/runtime/memory";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import type { Backoff } from "../config/failureBackoffConfig.ts";
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
  /** How long an escalated team waits before it restarts (default 1s, growing to 1m). */
  readonly restart?: Backoff;
  /** Hooks recording each task's input, model calls and outcome (the host's trace). */
  readonly io?: TaskIo;
  /** Agents added after the default ones (a program's own, given to main(); tests' stand-ins). */
  readonly extraAgents?: readonly AnyAgentDefinition[];
  /** The largest task the team takes (TROUPE_MAX_TASK_BYTES; default 1 MB). */
  readonly maxTaskBytes?: number;
}

/** One agent of TROUPE_AGENTS, as the host's team (and `troupe replay`'s) has it. */
export const modelAgent = (
  name: ModelAgentName,
  team: { readonly agents: () => readonly AnyAgentDefinition[]; readonly logger: Logger },
): AnyAgentDefinition => {
  switch (name) {
    case "orchestrator":
      // Routes among the whole team but itself; echo when neither its rules nor its model decide.
      return createOrchestrator({ agents: team.agents, fallback: echo.name, logger: team.logger }).agent;
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

/** How the host's team routes: by mention, then capability; the rest to the orchestrator, else echo. */
export const hostRouting = (modelAgents: readonly string[]) => ({
  routes: [route.mention(), route.capability()],
  fallback: modelAgents.includes("orchestrator") ? "orchestrator" : echo.name,
});

export const createHostTeam = (options: HostTeamOptions): Team => {
  let team: Team | undefined;
  const bus = options.bus ?? new EventBus();
  const systemMonitor = createSystemMonitor({
    // The monitor only runs once the team exists, so `team` is set by then.
    status: () => team!.status(),
    bus,
    ...(options.monitorThresholds ? { thresholds: options.monitorThresholds } : {}),
  });
  const agents: AnyAgentDefinition[] = [];
  const modelAgents = options.modelAgents ?? [];
  agents.push(
    echo,
    systemMonitor,
    ...modelAgents.map((name) => modelAgent(name, { agents: () => agents, logger: options.logger })),
    ...(options.extraAgents ?? []),
  );
  team = createSupervisor({
    agents,
    // Only agents that ask for ctx.llm reach Ollama; a task that needs it while Ollama is down fails
    // with the ModelUnavailable message naming OLLAMA_HOST, and the rest of the team runs on.
    llm: (role) =>
      createOllamaLlm({
        role,
        logger: options.logger,
        metrics: { observe: (call) => options.llmMetrics?.hook?.observe(call) },
      }),
    ...hostRouting(modelAgents),
    // A team that escalates (a bug crashing its agents past the restart intensity) restarts after a
    // backoff, as an OTP top-level supervisor restarts its application; its tasks wait in the queue.
    restart: {
      escalation: {
        restartAfter: options.restart?.baseMs ?? 1_000,
        maxDelay: options.restart?.maxMs ?? 60_000,
      },
    },
    logger: options.logger,
    bus,
    ...(options.maxTaskBytes === undefined ? {} : { maxTaskBytes: options.maxTaskBytes }),
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    ...(options.human ? { human: options.human } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.io ? { io: options.io } : {}),
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
