// Discord REST traffic in Prometheus terms: every REST response by method and status class, and every
// rate limit discord.js waited out (bounded labels: no routes, channel or message ids). The Discord
// surface reports through the small hook this returns, so it never imports prom-client itself.
import { Counter, type Registry } from "./promClient.ts";

export interface DiscordMetricsHook {
  response(method: string, status: number): void;
  rateLimited(global: boolean): void;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** `2xx`, `4xx`, `5xx`, with 429 on its own: a rate-limit hit is what the dashboard watches. */
export const statusClass = (status: number): string =>
  status === 429 ? "429" : `${Math.floor(status / 100)}xx`;

export const createDiscordMetrics = (options: { readonly registry: Registry }): DiscordMetricsHook => {
  const { registry } = options;
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const requests =
    existing<Counter<"method" | "status">>("troupe_discord_rest_requests_total") ??
    new Counter({
      name: "troupe_discord_rest_requests_total",
      help: "Discord REST responses, by method and status class (2xx, 4xx, 429, 5xx).",
      labelNames: ["method", "status"],
      registers: [registry],
    });
  const rateLimits =
    existing<Counter<"scope">>("troupe_discord_rate_limits_total") ??
    new Counter({
      name: "troupe_discord_rate_limits_total",
      help: "Rate limits discord.js waited out before sending, by scope (route or global).",
      labelNames: ["scope"],
      registers: [registry],
    });
  return {
    response: (method, status) =>
      requests.inc({
        method: METHODS.has(method.toUpperCase()) ? method.toUpperCase() : "OTHER",
        status: statusClass(status),
      }),
    rateLimited: (global) => rateLimits.inc({ scope: global ? "global" : "route" }),
  };
};
