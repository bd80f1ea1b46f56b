// deploy/ checked with Prometheus's own promtool (Debian's `prometheus` package; .ci/run installs
// it): the real /metrics of a running host (notifier, Kakao, a model call on the Ollama stand-in and a
// task started from the Discord stand-in included) passes
// `promtool check metrics`; the scrape config and the alert rules pass `promtool check config` /
// `check rules` and the rules' unit tests; every metric the rules and the dashboard name is in that
// output; and every dashboard query parses, checked by putting them in a generated rules file.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EventBus } from "@troupe/runtime";
import { deleteNamespace, mirrorEvents } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";
import { type KakaoStandIn, startKakaoStandIn } from "../harness/kakaoStandIn.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const RULES = join(root, "deploy/prometheus/rules/troupe.rules.yml");
const RULE_TESTS = join(root, "deploy/prometheus/rules/troupe.rules.test.yml");
const CONFIG = join(root, "deploy/prometheus/prometheus.yml");
const DASHBOARD = join(root, "deploy/grafana/dashboards/troupe.json");
const REDIS_URL = "redis://127.0.0.1:6379";

const promtool = (args: string[], input?: string) => {
  const result = spawnSync("promtool", args, { input, encoding: "utf8" });
  if (result.error)
    throw new Error(`promtool is not installed (apt-get install prometheus): ${result.error.message}`);
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
};

interface Panel {
  readonly title?: string;
  readonly targets?: readonly { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[]; templating: unknown };
const dashboardExprs = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);
/** Grafana's variables as Prometheus would see them after Grafana filled them in. */
const filled = (expr: string) =>
  expr.replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m").replaceAll("$instance", ".*");

/** Metric names in a PromQL expression (anything that looks like troupe_…, nodejs_…, process_…, up). */
const metricNames = (expr: string) =>
  [
    ...expr
      .replace(/"[^"]*"/g, '""')
      .matchAll(/\b((?:troupe|nodejs|process)_[a-zA-Z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g),
  ].map((match) => match[1]!);

let scraped = "";
let dir: string;

beforeAll(async () => {
  // A host with a Kakao sink (so the token gauges exist), a model agent on the Ollama stand-in and the
  // Discord stand-in as its surface, that ran a task from a Discord message and delivered an alert.
  dir = mkdtempSync(join(tmpdir(), "troupe-deploy-"));
  const kakao: KakaoStandIn = await startKakaoStandIn();
  // One JSON answer that decodes as the research agent's plan and as its answer.
  const ollama: OllamaStandIn = await startOllamaStandIn({
    models: ["qwen3:8b", "nomic-embed-text"],
    defaultReply: () => ({ content: JSON.stringify({ steps: ["look"], summary: "four", sources: [] }) }),
  });
  const discord: DiscordStandIn = await startDiscordStandIn({ channels: ["research"] });
  const tokens = kakao.issue();
  const tokenFile = join(dir, "tokens.json");
  writeFileSync(tokenFile, JSON.stringify(tokens));
  const namespace = `test-${randomUUID()}`;
  const redis = new Redis(REDIS_URL);
  const bus = new EventBus();
  const mirror = mirrorEvents({ bus, redis, namespace, direction: "publish" });
  const troupe: TroupeProcess = spawnTroupe(["start"], {
    REDIS_URL,
    TROUPE_NAMESPACE: namespace,
    TROUPE_DATA_DIR: dir,
    KAKAO_REST_API_KEY: kakao.restApiKey,
    KAKAO_API_URL: kakao.url,
    KAKAO_AUTH_URL: kakao.url,
    KAKAO_TOKEN_FILE: tokenFile,
    TROUPE_AGENTS: "research",
    OLLAMA_HOST: ollama.url,
    ...discord.hostEnv(),
    DISCORD_CHANNELS: "research=research",
  });
  try {
    const http = await troupe.log("http listening");
    await troupe.log("discord surface started");
    await mirror.ready(AbortSignal.timeout(5_000));
    // One 429 on the first status reaction: discord.js waits it out (and counts it).
    discord.rateLimitNext({ method: "PUT", path: /reactions/ }, 200);
    const asked = discord.say("research", "what is two and two?");
    await discord.reactionAdded(asked.id, "✅");
    const delivered = new Promise<void>((resolve) => {
      const again = setInterval(() => {
        if (kakao.memos.length > 0) {
          clearInterval(again);
          resolve();
        } else
          bus.publish({
            type: "alert.raised",
            alertId: "deploy-1",
            severity: "warning",
            source: "test",
            title: "t",
            text: "x",
          });
      }, 50);
    });
    await delivered;
    // The "sent" counter and histogram follow the outbox's record of the send.
    for (;;) {
      scraped = await (await fetch(`${http.url}/metrics`)).text();
      if (/troupe_notifier_send_duration_seconds_count\{sink="kakao"\} [1-9]/.test(scraped)) break;
    }
    troupe.child.kill("SIGTERM"); // with Discord as its surface, the host reads no console
    await troupe.exited;
  } finally {
    if (troupe.child.exitCode === null) troupe.child.kill("SIGKILL");
    await mirror.close();
    await deleteNamespace(redis, namespace);
    await redis.quit();
    await kakao.close();
    await ollama.close();
    await discord.close();
  }
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("deploy/ with promtool", () => {
  it("the host's /metrics passes promtool check metrics", () => {
    expect(scraped).toContain("troupe_kakao_token_expiry_timestamp_seconds");
    expect(scraped).toMatch(/troupe_llm_requests_total\{role="research",model="[^"]+",outcome="ok"\} [1-9]/);
    expect(scraped).toMatch(/troupe_discord_rest_requests_total\{method="PUT",status="2xx"\} [1-9]/);
    const { code, output } = promtool(["check", "metrics"], scraped);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it("the scrape config and the rules pass promtool, and the rules' unit tests pass", () => {
    expect(promtool(["check", "config", CONFIG])).toMatchObject({ code: 0 });
    const rules = promtool(["check", "rules", RULES]);
    expect(rules.output).toContain("SUCCESS: 12 rules found");
    const tests = promtool(["test", "rules", RULE_TESTS]);
    expect(tests.output).toContain("SUCCESS");
    expect(tests.code).toBe(0);
  });

  it("scrapes each host as its own instance, so several hosts never collapse into one series", () => {
    const config = readFileSync(CONFIG, "utf8");
    expect(config).not.toMatch(/^\s*instance:/m);
    const scrape = promtool(["check", "config", CONFIG]);
    expect(scrape.code).toBe(0);
  });

  it("watches the Discord gateway lease, the fallback spool and notifier failovers", () => {
    const exprs = dashboardExprs.map((entry) => entry.expr).join("\n");
    for (const metric of [
      "troupe_discord_gateway_held",
      "troupe_surface_fallback_pending",
      "troupe_surface_fallback_operations_total",
      "troupe_notifier_failovers_total",
    ])
      expect(exprs).toContain(metric);
    const rules = readFileSync(RULES, "utf8");
    expect(rules).toContain("alert: TroupeNoGatewayHolder");
    expect(rules).toContain("alert: TroupeTwoGatewayHolders");
  });

  it("names only metrics the host exposes, in the rules and in the dashboard", () => {
    // Declared by the host (a `# TYPE` line), with or without a sample yet: a labelled counter that
    // never counted, like the notifier's failovers, has no sample line but is still exposed.
    const exposed = new Set([
      ...[...scraped.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!),
      ...[...scraped.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((match) => match[1]!),
    ]);
    exposed.add("up"); // Prometheus's own, per target
    const ruleExprs = [...readFileSync(RULES, "utf8").matchAll(/expr: (?:\|\n((?: {10}.*\n)+)|(.*)\n)/g)].map(
      (match) => match[1] ?? match[2]!,
    );
    expect(ruleExprs).toHaveLength(12);
    const named = [...ruleExprs, ...dashboardExprs.map((entry) => entry.expr)].flatMap(metricNames);
    expect(named.length).toBeGreaterThan(30);
    expect([...new Set(named)].filter((name) => !exposed.has(name)).sort()).toEqual([]);
  });

  it("every dashboard query parses (as a generated recording rule checked by promtool)", () => {
    expect(dashboardExprs.length).toBeGreaterThan(20);
    const generated = join(dir, "dashboard.rules.yml");
    const rules = dashboardExprs
      .map(
        ({ expr }, index) =>
          `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(filled(expr))}`,
      )
      .join("\n");
    writeFileSync(generated, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const { code, output } = promtool(["check", "rules", generated]);
    expect(output).toContain(`SUCCESS: ${dashboardExprs.length} rules found`);
    expect(code).toBe(0);
  });

  it("provisions the dashboard's datasource under the uid its panels use", () => {
    const datasource = readFileSync(join(root, "deploy/grafana/provisioning/datasources/troupe.yml"), "utf8");
    expect(datasource).toContain("uid: troupe-prometheus");
    const uids = new Set(JSON.stringify(dashboard).match(/"uid": ?"[^"]+"/g));
    expect(
      [...uids].every((uid) => uid.includes("troupe-prometheus") || uid.includes("troupe-overview")),
    ).toBe(true);
  });
});
