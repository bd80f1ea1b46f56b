// The soak run's verdict: what it observed, judged against issue 14's invariants. Every task sent
// reached exactly one terminal state with exactly one reply and (on Discord) one final status
// reaction, and none is left in the store unfinished; no task's effect happened twice except in the
// documented crash window (a run whose host was killed, stopped or cut off from Redis between its
// start and the next run of the same task); no team stopped taking work without /healthz saying so
// and a critical alert being delivered; every alert raised reached a sink; the memory of the hosts
// that lived through the run grew by less than 20 %. Pure: observations in, verdict out.
import { isEnded, statusSymbols } from "@troupe/runtime";
import type { SoakLedgerLine } from "../../apps/host/src/testing/soakAgent.ts";
import type {
  FaultRecord,
  HostLife,
  Observations,
  SoakTask,
  StopEvidence,
  TerminalState,
} from "./soakObservations.ts";
import { type Cluster, clusterOf, formatClock, HOSTS, type HostName } from "./soakPlan.ts";

export interface TaskFinding {
  readonly task: SoakTask;
  readonly problems: readonly string[];
}

export interface Duplicate {
  readonly token: string;
  /** Its task id (several when one message or line became several tasks). */
  readonly taskId: string;
  readonly effects: number;
  readonly runs: readonly {
    readonly pid: number;
    readonly host: string;
    readonly at: number;
    readonly effect: boolean;
  }[];
  /** The fault that put it in the crash window, when one did. */
  readonly window: string | undefined;
}

export interface StopEpisode {
  readonly cluster: Cluster;
  readonly host: HostName | undefined;
  readonly from: number;
  readonly to: number;
  readonly evidence: readonly StopEvidence[];
  readonly healthzSaid: boolean;
  readonly alerted: boolean;
}

export interface SoakVerdict {
  readonly tasks: number;
  readonly endedOnce: number;
  readonly stuck: readonly TaskFinding[];
  readonly endedBadly: readonly TaskFinding[];
  readonly crashWindowDuplicates: readonly Duplicate[];
  readonly duplicatesOutside: readonly Duplicate[];
  readonly stops: readonly StopEpisode[];
  readonly silentStops: readonly StopEpisode[];
  readonly alerts: {
    readonly raised: number;
    readonly delivered: number;
    readonly missing: readonly string[];
  };
  readonly rss:
    | {
        readonly startMb: number;
        readonly endMb: number;
        readonly growth: number;
        readonly hosts: readonly string[];
      }
    | undefined;
  /** The invariants that failed, by name; empty when the run passed. */
  readonly failed: readonly string[];
}

/** No task of a team ended for this long while some waited: the team stopped taking work. */
export const STALL_MS = 60_000;
/** Around a stop, how far /healthz and an alert may be from it and still count as saying so. */
const HEALTHZ_SLACK_MS = 10_000;
const ALERT_BEFORE_MS = 30_000;
const ALERT_AFTER_MS = 90_000;
/** Evidence of one stop further apart than this makes two stops. */
const EPISODE_GAP_MS = 30_000;
const RSS_LIMIT = 0.2;

const TERMINAL_SYMBOLS: Readonly<Record<TerminalState, string>> = {
  succeeded: statusSymbols.succeeded.symbol,
  failed: statusSymbols.failed.symbol,
  cancelled: statusSymbols.cancelled.symbol,
};
const STATUS_SYMBOLS = new Set(Object.values(statusSymbols).map((status) => status.symbol));
const terminalSymbols = new Set(Object.values(TERMINAL_SYMBOLS));

const overlaps = (from: number, to: number, fault: FaultRecord) => fault.from <= to && fault.to >= from;

const hostOfPid = (lives: readonly HostLife[], pid: number) => lives.find((life) => life.pid === pid)?.host;

/** Whether a fault hit the process `pid` (or the Redis under it). */
const hits = (fault: FaultRecord, pid: number, host: HostName | undefined) =>
  fault.pid === pid || (fault.kind === "redis-restart" && host !== undefined && clusterOf(host) === "redis");

export const describeTask = (task: SoakTask): string =>
  `${task.taskId ?? "(no task id)"} [${task.surface}${task.messageId ? ` message ${task.messageId}` : ""}, ${task.token}, ${task.kind}, sent ${new Date(task.submittedAt).toISOString().slice(11, 19)}]`;

const judgeTask = (
  task: SoakTask,
  renewMs: number,
  leaseMs: number,
): { stuck: boolean; problems: string[] } => {
  const record = task.record;
  if (record !== undefined && record !== "unknown" && !isEnded(record)) {
    const leased =
      record.status === "leased"
        ? `, still leased more than the lease (${leaseMs} ms) plus a renew (${renewMs} ms) after the traffic stopped`
        : "";
    return {
      stuck: true,
      problems: [`the store has it ${record.status} after ${record.attempts} attempt(s)${leased}`],
    };
  }
  if (task.terminals.length === 0)
    return {
      stuck: true,
      problems: [
        task.surface === "discord" && task.taskId === undefined
          ? "no host ever took the message as a task (the bot missed it while away; catching up would answer it)"
          : "no terminal status was ever shown",
      ],
    };
  const problems: string[] = [];
  if ((task.takenAs?.length ?? 0) > 1)
    problems.push(`the message was taken as ${task.takenAs!.length} tasks (${task.takenAs!.join(", ")})`);
  if (task.terminals.length > 1)
    problems.push(
      `${task.terminals.length} terminal statuses shown (${task.terminals.map((seen) => TERMINAL_SYMBOLS[seen.state]).join(" ")})`,
    );
  if (task.replies.length !== 1)
    problems.push(
      task.replies.length === 0 && task.surface === "console" && task.terminals.at(-1)!.state === "succeeded"
        ? "0 replies (the console showed ✅ but never the result)"
        : task.replies.length === 0
          ? "0 replies"
          : `${task.replies.length} replies (${task.replies.map((seen) => JSON.stringify(seen.text.slice(0, 80))).join(", ")})`,
    );
  if (task.surface === "discord") {
    const shown = (task.shownAtEnd ?? []).filter((emoji) => STATUS_SYMBOLS.has(emoji));
    if (shown.length !== 1 || !terminalSymbols.has(shown[0]!))
      problems.push(`status reactions left on the message: ${shown.length === 0 ? "none" : shown.join(" ")}`);
  }
  if (record === "unknown") problems.push("the store does not know its task id");
  else if (record !== undefined) {
    const last = task.terminals.at(-1)!.state;
    const stored =
      record.status === "succeeded" ? "succeeded" : record.status === "dead" ? "failed" : "cancelled";
    if (stored !== last)
      problems.push(`the store says ${record.status} but ${TERMINAL_SYMBOLS[last]} was shown last`);
  }
  return { stuck: false, problems };
};

const judgeDuplicates = (observations: Observations) => {
  const byToken = new Map<string, SoakLedgerLine[]>();
  for (const line of observations.ledger) byToken.set(line.token, [...(byToken.get(line.token) ?? []), line]);
  const duplicates: Duplicate[] = [];
  for (const [token, lines] of byToken) {
    const effects = lines.filter((line) => line.phase === "effect");
    if (effects.length < 2) continue;
    const starts = lines.filter((line) => line.phase === "start").sort((one, other) => one.at - other.at);
    let window: string | undefined;
    for (const [index, run] of starts.entries()) {
      const next = starts[index + 1];
      if (!next) break;
      const host = hostOfPid(observations.lives, run.pid);
      const fault = observations.faults.find(
        (candidate) => hits(candidate, run.pid, host) && overlaps(run.at, next.at, candidate),
      );
      if (fault) {
        window = `${fault.kind}${fault.host ? ` of host ${fault.host}` : ""} at ${formatClock(fault.from - observations.trafficStart)} while run ${index + 1} (pid ${run.pid}) was under way`;
        break;
      }
    }
    duplicates.push({
      token,
      taskId: [...new Set(lines.map((line) => line.taskId))].join(", "),
      effects: effects.length,
      runs: starts.map((run) => ({
        pid: run.pid,
        host: hostOfPid(observations.lives, run.pid) ?? "?",
        at: run.at,
        effect: effects.some(
          (effect) =>
            effect.pid === run.pid &&
            effect.at >= run.at &&
            !starts.some((later) => later.pid === run.pid && later.at > run.at && later.at <= effect.at),
        ),
      })),
      window,
    });
  }
  return duplicates;
};

/**
 * Stretches of the traffic in which no task of a team ended while some had waited longer than
 * STALL_MS (after the traffic, tasks left over are judged as stuck instead).
 */
const stalls = (observations: Observations): StopEvidence[] => {
  const found: StopEvidence[] = [];
  const endOf = (task: SoakTask) => task.terminals[0]?.at;
  for (const cluster of ["redis", "embedded"] as const) {
    const tasks = observations.tasks.filter((task) => task.cluster === cluster);
    const hosts = HOSTS.filter((host) => clusterOf(host) === cluster);
    for (let at = observations.trafficStart + STALL_MS; at <= observations.trafficEnd; at += 5_000) {
      const from = at - STALL_MS;
      const waiting = tasks.filter((task) => {
        const ended = endOf(task);
        return task.submittedAt <= from && (ended === undefined || ended > at);
      });
      if (waiting.length === 0) continue;
      if (tasks.some((task) => (endOf(task) ?? Number.NaN) >= from && (endOf(task) ?? Number.NaN) <= at))
        continue;
      const excused = observations.faults.some(
        (fault) =>
          overlaps(from, at, fault) &&
          (fault.kind === "redis-restart"
            ? cluster === "redis"
            : fault.host !== undefined && hosts.includes(fault.host)),
      );
      if (excused) continue;
      found.push({
        at,
        cluster,
        what: `no task ended for ${STALL_MS / 1_000} s while ${waiting.length} waited (e.g. ${waiting
          .slice(0, 3)
          .map((task) => task.taskId ?? task.token)
          .join(", ")})`,
      });
    }
  }
  return found;
};

const judgeStops = (observations: Observations): StopEpisode[] => {
  const evidence = [...observations.stops, ...stalls(observations)].sort((one, other) => one.at - other.at);
  const episodes: { cluster: Cluster; host: HostName | undefined; evidence: StopEvidence[] }[] = [];
  for (const item of evidence) {
    const open = episodes.findLast(
      (episode) =>
        episode.cluster === item.cluster &&
        episode.host === item.host &&
        item.at - episode.evidence.at(-1)!.at <= EPISODE_GAP_MS,
    );
    if (open) open.evidence.push(item);
    else episodes.push({ cluster: item.cluster, host: item.host, evidence: [item] });
  }
  return episodes.map(({ cluster, host, evidence: items }) => {
    const from = items[0]!.at;
    const to = items.at(-1)!.at;
    const scope = host ? [host] : HOSTS.filter((candidate) => clusterOf(candidate) === cluster);
    const healthzSaid = observations.health.some(
      (sample) =>
        scope.includes(sample.host) &&
        !sample.causedBySoak &&
        (sample.status !== 200 || sample.saysEscalation === true) &&
        sample.at >= from - HEALTHZ_SLACK_MS &&
        sample.at <= to + HEALTHZ_SLACK_MS,
    );
    const alerted = observations.alerts.some(
      (alert) =>
        alert.cluster === cluster &&
        alert.how === "delivered" &&
        alert.severity === "critical" &&
        alert.at >= from - ALERT_BEFORE_MS &&
        alert.at <= to + ALERT_AFTER_MS,
    );
    return { cluster, host, from, to, evidence: items, healthzSaid, alerted };
  });
};

const judgeAlerts = (observations: Observations) => {
  const raised = new Map<string, string[]>();
  const delivered = new Set<string>();
  for (const alert of observations.alerts) {
    if (alert.alertId.endsWith("~resolved")) continue;
    const key = `${alert.cluster}:${alert.alertId}`;
    if (alert.how === "delivered") delivered.add(key);
    else
      raised.set(key, [
        ...(raised.get(key) ?? []),
        `${alert.how}${alert.detail ? ` (${alert.detail})` : ""}`,
      ]);
  }
  for (const key of delivered) if (!raised.has(key)) raised.set(key, []);
  const missing = [...raised]
    .filter(([key]) => !delivered.has(key))
    .map(([key, hows]) => `${key}: ${[...new Set(hows)].join("; ") || "never delivered"}`);
  let pendingExtra = 0;
  for (const { cluster, count } of observations.alertsPending) {
    const knownUndelivered = [...raised.keys()].filter(
      (key) => key.startsWith(`${cluster}:`) && !delivered.has(key),
    ).length;
    const extra = Math.max(0, count - knownUndelivered);
    pendingExtra += extra;
    if (extra > 0) missing.push(`${cluster}: ${extra} deliveries still waiting in the outbox at the end`);
  }
  return { raised: raised.size + pendingExtra, delivered: delivered.size, missing };
};

const judgeRss = (observations: Observations) => {
  const { start, end } = observations.rss;
  if (!start || !end) return undefined;
  const lived = start.hosts.filter((early) => end.hosts.some((late) => late.pid === early.pid));
  if (lived.length === 0) return undefined;
  const startMb = lived.reduce((sum, host) => sum + host.mb, 0);
  const endMb = lived.reduce((sum, host) => sum + end.hosts.find((late) => late.pid === host.pid)!.mb, 0);
  return {
    startMb,
    endMb,
    growth: (endMb - startMb) / startMb,
    hosts: lived.map((host) => `${host.host} (pid ${host.pid})`),
  };
};

export const judge = (observations: Observations): SoakVerdict => {
  const stuck: TaskFinding[] = [];
  const endedBadly: TaskFinding[] = [];
  for (const task of observations.tasks) {
    const judged = judgeTask(task, observations.renewMs, observations.leaseMs);
    if (judged.stuck) stuck.push({ task, problems: judged.problems });
    else if (judged.problems.length > 0) endedBadly.push({ task, problems: judged.problems });
  }
  const duplicates = judgeDuplicates(observations);
  const stops = judgeStops(observations);
  const silentStops = stops.filter((stop) => !stop.healthzSaid || !stop.alerted);
  const alerts = judgeAlerts(observations);
  const rss = judgeRss(observations);
  const duplicatesOutside = duplicates.filter((duplicate) => duplicate.window === undefined);
  const failed = [
    ...(stuck.length > 0 ? ["stuck tasks"] : []),
    ...(endedBadly.length > 0 ? ["tasks that did not end exactly once"] : []),
    ...(duplicatesOutside.length > 0 ? ["duplicates outside the crash window"] : []),
    ...(silentStops.length > 0 ? ["silent stops"] : []),
    ...(alerts.delivered < alerts.raised ? ["alerts not delivered"] : []),
    ...(rss !== undefined && rss.growth >= RSS_LIMIT ? ["memory growth"] : []),
    ...(observations.harnessProblems.length > 0 ? ["harness problems"] : []),
  ];
  return {
    tasks: observations.tasks.length,
    endedOnce: observations.tasks.length - stuck.length - endedBadly.length,
    stuck,
    endedBadly,
    crashWindowDuplicates: duplicates.filter((duplicate) => duplicate.window !== undefined),
    duplicatesOutside,
    stops,
    silentStops,
    alerts,
    rss,
    failed,
  };
};

export const summaryLine = (verdict: SoakVerdict): string => {
  const rss = verdict.rss ? `${Math.round(verdict.rss.startMb)}→${Math.round(verdict.rss.endMb)}` : "n/a";
  return `soak: ${verdict.tasks} tasks, ${verdict.endedOnce} ended once, ${verdict.stuck.length} stuck, ${verdict.crashWindowDuplicates.length} duplicates (crash window), ${verdict.silentStops.length} silent stops, alerts ${verdict.alerts.delivered}/${verdict.alerts.raised}, rss ${rss} MB`;
};

const LISTED = 12;

const listed = <T>(items: readonly T[], line: (item: T) => string): string[] => [
  ...items.slice(0, LISTED).map((item) => `  - ${line(item)}`),
  ...(items.length > LISTED ? [`  - … and ${items.length - LISTED} more`] : []),
];

/** The failure report printed before the summary line: each failed invariant with the tasks, ids and times. */
export const reportLines = (verdict: SoakVerdict, observations: Observations): string[] => {
  const clock = (at: number) => formatClock(at - observations.trafficStart);
  const lines: string[] = [];
  const section = (title: string, body: string[]) => {
    if (body.length > 0) lines.push(`FAILED ${title}`, ...body);
  };
  /** Tasks grouped by the kind of their problems (counts and symbols left out), each listed. */
  const byProblem = (findings: readonly TaskFinding[]) => {
    const groups = new Map<string, TaskFinding[]>();
    for (const finding of findings) {
      const kind = finding.problems
        .map((problem) => problem.replace(/ \([^)]*\)/g, "").replace(/\d+/g, "N"))
        .join("; ");
      groups.set(kind, [...(groups.get(kind) ?? []), finding]);
    }
    return [...groups].flatMap(([kind, group]) => [
      `  ${group.length} task(s): ${kind}`,
      ...listed(group, (finding) => `${describeTask(finding.task)}: ${finding.problems.join("; ")}`),
    ]);
  };
  section(`stuck: ${verdict.stuck.length} task(s) never reached a terminal state`, byProblem(verdict.stuck));
  section(
    `ended once: ${verdict.endedBadly.length} task(s) ended, but not with exactly one terminal state, one reply and one final status reaction`,
    byProblem(verdict.endedBadly),
  );
  section(
    `duplicates: ${verdict.duplicatesOutside.length} task(s) ran twice outside the crash window`,
    listed(
      verdict.duplicatesOutside,
      (duplicate) =>
        `${duplicate.taskId} (${duplicate.token}): ${duplicate.effects} effects; runs ${duplicate.runs
          .map((run) => `${run.host}/pid ${run.pid} at ${clock(run.at)}${run.effect ? " (effect)" : ""}`)
          .join(", ")}; no kill, stop or Redis outage under the earlier run`,
    ),
  );
  section(
    `silent stops: ${verdict.silentStops.length} time(s) a team stopped taking work without /healthz saying so and a critical alert`,
    listed(
      verdict.silentStops,
      (stop) =>
        `${stop.cluster}${stop.host ? ` host ${stop.host}` : ""} ${clock(stop.from)}–${clock(stop.to)}: ${stop.healthzSaid ? "" : "/healthz kept answering 200; "}${stop.alerted ? "" : "no critical alert delivered; "}first sign: ${stop.evidence[0]!.what} (${stop.evidence.length} sign(s))`,
    ),
  );
  section(
    `alerts: ${verdict.alerts.raised - verdict.alerts.delivered} of ${verdict.alerts.raised} raised never reached a sink`,
    listed(verdict.alerts.missing, (line) => line),
  );
  if (verdict.rss && verdict.rss.growth >= RSS_LIMIT)
    lines.push(
      `FAILED memory: RSS of ${verdict.rss.hosts.join(", ")} grew ${(verdict.rss.growth * 100).toFixed(0)} % (limit ${RSS_LIMIT * 100} %)`,
    );
  section(
    "harness: the run itself went wrong",
    listed(observations.harnessProblems, (problem) => problem),
  );
  if (verdict.crashWindowDuplicates.length > 0)
    lines.push(
      `note: ${verdict.crashWindowDuplicates.length} task(s) ran twice in the documented crash window`,
      ...listed(
        verdict.crashWindowDuplicates,
        (duplicate) => `${duplicate.taskId} (${duplicate.token}): ${duplicate.window}`,
      ),
    );
  if (observations.unacknowledged.length > 0)
    lines.push(
      `note: ${observations.unacknowledged.length} console line(s) were never acknowledged with 📥 (not counted as tasks)`,
      ...listed(observations.unacknowledged, (line) => `${line.token} at ${clock(line.at)}: ${line.why}`),
    );
  const announced = verdict.stops.filter((stop) => stop.healthzSaid && stop.alerted);
  if (announced.length > 0)
    lines.push(
      `note: ${announced.length} stop(s) were announced by /healthz and a critical alert`,
      ...listed(
        announced,
        (stop) =>
          `${stop.cluster}${stop.host ? ` host ${stop.host}` : ""} ${clock(stop.from)}–${clock(stop.to)}: ${stop.evidence[0]!.what}`,
      ),
    );
  return lines;
};
