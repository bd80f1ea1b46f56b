// The runtime's Prometheus metrics: task outcomes and durations counted from a team's EventBus, queue
// depth, in-flight work and breaker states read from `team.status()` at scrape time, plus
// prom-client's default process metrics, all on one registry the host serves at /metrics.

import type { BreakerState } from "../events/catalogue.ts";
import type { LlmMetricsHook } from "../llm/Llm.ts";
import type { Team } from "../supervisor/Team.ts";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "./promClient.ts";

export interface RuntimeMetricsOptions {
  readonly team: Team;
  /** The registry to register on; a fresh one when absent. */
  readonly registry?: Registry;
  /** Prefix of the runtime's own metric names (default "troupe_"). */
  readonly prefix?: string;
  /**
   * Register prom-client's default process metrics (`process_*`, `nodejs_*`, unprefixed so standard
   * dashboards work) on the registry; default true. Turn off when the registry already has them.
   */
  readonly defaultMetrics?: boolean;
}

export interface RuntimeMetrics {
  readonly registry: Registry;
  /** The Content-Type of `metrics()`'s text, for the HTTP response. */
  readonly contentType: string;
  /** The Prometheus text exposition of every metric on the registry. */
  metrics(): Promise<string>;
  /** Stop counting the team's events (the registry keeps its metrics). */
  close(): void;
}

/** A task's terminal outcome, the `outcome` label of the tasks counter. */
export type TaskOutcome = "succeeded" | "failed" | "cancelled";

/** Breaker state as a gauge value: 0 closed, 1 half-open, 2 open. */
export const breakerStateValue: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

/** The `agent` label of a task that never reached an agent (refused before routing). */
export const NO_AGENT = "none";

// Seconds, from a fast local tool call to a long model run.
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const NAME_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/;

/** Count a team's work for Prometheus; `close()` stops listening to its bus. */
export const createRuntimeMetrics = (options: RuntimeMetricsOptions): RuntimeMetrics => {
  const { team } = options;
  const prefix = options.prefix ?? "troupe_";
  if (!NAME_PREFIX.test(prefix)) {
    throw new RangeError(
      `metrics prefix must be letters, digits, "_" or ":" and not start with a digit, got "${prefix}"`,
    );
  }
  const registry = options.registry ?? new Registry();
  const registers = [registry];

  const tasks = new Counter({
    name: `${prefix}tasks_total`,
    help: "Tasks that reached an outcome, by agent and outcome (succeeded, failed, cancelled).",
    labelNames: ["agent", "outcome"] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}task_duration_seconds`,
    help: "Time from claim to success of a task, by agent.",
    labelNames: ["agent"] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const heartbeatsMissed = new Counter({
    name: `${prefix}heartbeats_missed_total`,
    help: "Heartbeat deadlines an agent missed (its task was declared hung).",
    labelNames: ["agent"] as const,
    registers,
  });
  const restarts = new Counter({
    name: `${prefix}agent_restarts_total`,
    help: "Times the supervisor restarted an agent.",
    labelNames: ["agent"] as const,
    registers,
  });
  new Gauge({
    name: `${prefix}queue_depth`,
    help: "Tasks waiting in an agent's mailbox.",
    labelNames: ["agent"] as const,
    registers,
    collect() {
      this.reset();
      for (const agent of team.status().agents) this.set({ agent: agent.name }, agent.queue);
    },
  });
  new Gauge({
    name: `${prefix}tasks_in_flight`,
    help: "Tasks an agent is working on right now, over the whole team.",
    registers,
    collect() {
      this.set(team.status().inFlight);
    },
  });
  new Gauge({
    name: `${prefix}breaker_state`,
    help: "Circuit breaker of an agent: 0 closed, 1 half-open, 2 open.",
    labelNames: ["agent"] as const,
    registers,
    collect() {
      this.reset();
      for (const agent of team.status().agents)
        this.set({ agent: agent.name }, breakerStateValue[agent.breaker]);
    },
  });

  // Start every series of the team's agents at zero, so a rate() sees the first increment.
  for (const { name: agent } of team.status().agents) {
    for (const outcome of ["succeeded", "failed", "cancelled"] as const) tasks.inc({ agent, outcome }, 0);
    heartbeatsMissed.inc({ agent }, 0);
    restarts.inc({ agent }, 0);
  }

  const unsubscribe = team.bus.subscribe((event) => {
    switch (event.type) {
      case "task.succeeded":
        tasks.inc({ agent: event.agent, outcome: "succeeded" });
        duration.observe({ agent: event.agent }, event.durationMs / 1_000);
        return;
      case "task.failed":
        tasks.inc({ agent: event.agent ?? NO_AGENT, outcome: "failed" });
        return;
      case "task.cancelled":
        tasks.inc({ agent: event.agent ?? NO_AGENT, outcome: "cancelled" });
        return;
      case "heartbeat.missed":
        heartbeatsMissed.inc({ agent: event.agent });
        return;
      case "agent.restarted":
        restarts.inc({ agent: event.agent });
        return;
      default:
        return;
    }
  });

  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters fail `promtool check metrics`; each is the sum of a gauge kept
    // (nodejs_active_handles, …), so nothing is lost.
    for (const name of [
      "nodejs_active_handles_total",
      "nodejs_active_requests_total",
      "nodejs_active_resources_total",
    ])
      registry.removeSingleMetric(name);
  }

  let closed = false;
  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
    },
  };
};

/** The `role` label of a model call made for an explicit model rather than a role. */
export const NO_ROLE = "none";

/**
 * The model layer's metrics on a registry, as the hook an Llm adapter reports each call to
 * (`createOllamaLlm({ metrics })`): requests by outcome, tokens and Ollama's own prompt/eval time by
 * kind, and the latency of answered calls, each by role and model. Calling it again with the same
 * registry shares the same metrics, so every adapter of a host can have its own hook.
 */
export const createLlmMetrics = (options: {
  readonly registry: Registry;
  readonly prefix?: string;
}): LlmMetricsHook => {
  const { registry } = options;
  const prefix = options.prefix ?? "troupe_";
  if (!NAME_PREFIX.test(prefix)) {
    throw new RangeError(
      `metrics prefix must be letters, digits, "_" or ":" and not start with a digit, got "${prefix}"`,
    );
  }
  const registers = [registry];
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const requests =
    existing<Counter<"role" | "model" | "outcome">>(`${prefix}llm_requests_total`) ??
    new Counter({
      name: `${prefix}llm_requests_total`,
      help: "Model calls, by role, model and outcome (ok, cancelled, not_found, busy, unavailable, timeout, bad_response, rejected).",
      labelNames: ["role", "model", "outcome"] as const,
      registers,
    });
  const tokens =
    existing<Counter<"role" | "model" | "kind">>(`${prefix}llm_tokens_total`) ??
    new Counter({
      name: `${prefix}llm_tokens_total`,
      help: "Tokens the model server reported, by role, model and kind (prompt, eval).",
      labelNames: ["role", "model", "kind"] as const,
      registers,
    });
  const modelTime =
    existing<Counter<"role" | "model" | "kind">>(`${prefix}llm_model_seconds_total`) ??
    new Counter({
      name: `${prefix}llm_model_seconds_total`,
      help: "Time the model server reported spending, by role, model and kind (prompt, eval).",
      labelNames: ["role", "model", "kind"] as const,
      registers,
    });
  const duration =
    existing<Histogram<"role" | "model">>(`${prefix}llm_request_duration_seconds`) ??
    new Histogram({
      name: `${prefix}llm_request_duration_seconds`,
      help: "Wall time of answered model calls (busy retries included), by role and model.",
      labelNames: ["role", "model"] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
  return {
    observe(call) {
      const labels = { role: call.role ?? NO_ROLE, model: call.model };
      requests.inc({ ...labels, outcome: call.outcome });
      if (call.outcome === "ok") duration.observe(labels, call.durationMs / 1_000);
      if (call.usage) {
        tokens.inc({ ...labels, kind: "prompt" }, call.usage.promptTokens);
        tokens.inc({ ...labels, kind: "eval" }, call.usage.evalTokens);
        modelTime.inc({ ...labels, kind: "prompt" }, call.usage.promptMs / 1_000);
        modelTime.inc({ ...labels, kind: "eval" }, call.usage.evalMs / 1_000);
      }
    },
  };
};
