// What the soak run saw, as plain data: every task it sent and what became of it (the terminal
// states, replies and status reactions a person would see, and the store's record at the end), the
// soak agent's ledger of runs, the faults it injected and when, the hosts' lives, /healthz samples,
// the signs that a team stopped taking work, the alerts raised and delivered, and memory samples.
// The run fills it in; soakInvariants.ts judges it, so the judging can be tested on its own.
import type { TaskRecord } from "@troupe/runtime";
import type { SoakLedgerLine } from "../../apps/host/src/testing/soakAgent.ts";
import type { Cluster, FaultKind, HostName, Surface } from "./soakPlan.ts";

export type TerminalState = "succeeded" | "failed" | "cancelled";

/** Something a person saw at a time: a terminal status, a reply. */
export interface Seen {
  readonly at: number;
  readonly text: string;
}

export interface SoakTask {
  /** Unique per task and run; in the task's text, so the ledger and replies can be matched to it. */
  readonly token: string;
  readonly surface: Surface;
  readonly cluster: Cluster;
  /** The soak agent kind asked for ("ok:300", "model", "bad", "bug"). */
  readonly kind: string;
  readonly submittedAt: number;
  /** Known from the console's 📥 line, the Discord host's log, or the ledger. */
  taskId?: string;
  /** Discord: the message that asked. */
  readonly messageId?: string;
  /** Discord: every task id a host logged for the message (more than one: it was taken twice). */
  readonly takenAs?: string[];
  /** Each terminal status shown: a console ✅/❌/🚫 line, or a ✅/❌/🚫 reaction added on Discord. */
  readonly terminals: (Seen & { readonly state: TerminalState })[];
  /** Each reply: the console's result or failure line, a bot's post in the task's thread. */
  readonly replies: Seen[];
  /** Discord: the status reactions left on the message at the end. */
  shownAtEnd?: readonly string[];
  /** The store's record at the end; undefined when the task's id was never learnt. */
  record?: TaskRecord | "unknown";
}

export interface HostLife {
  readonly host: HostName;
  readonly pid: number;
  readonly from: number;
  to?: number;
  exit?: number | string;
  /** Ended by the soak run itself (SIGKILL, or the final stop). */
  endedBySoak?: boolean;
}

export interface FaultRecord {
  readonly kind: FaultKind | "host-exit";
  readonly host?: HostName;
  /** The process hit (SIGKILL, SIGSTOP). */
  readonly pid?: number;
  readonly from: number;
  to: number;
  readonly note?: string;
}

export interface HealthSample {
  readonly host: HostName;
  readonly at: number;
  /** The HTTP status, or unreachable (no answer within the probe's deadline). */
  readonly status: number | "unreachable";
  /** True while the soak run had the host stopped or killed. */
  readonly causedBySoak: boolean;
  /** The body spoke of an escalation: the team is escalated (503) or restarted from one lately (200). */
  readonly saysEscalation?: boolean;
}

/** A sign that a team stopped taking work. */
export interface StopEvidence {
  readonly at: number;
  readonly cluster: Cluster;
  readonly host?: HostName;
  readonly what: string;
}

export interface AlertSeen {
  readonly cluster: Cluster;
  readonly alertId: string;
  /** raised: the alert.raised event; refused: the notifier refused it; dead: an outbox dead letter; delivered: a file in the sink. */
  readonly how: "raised" | "refused" | "dead" | "delivered";
  readonly at: number;
  readonly severity?: string;
  readonly detail?: string;
}

export interface RssSample {
  readonly at: number;
  /** Resident memory of each host process alive then, in MB. */
  readonly hosts: readonly { readonly host: HostName; readonly pid: number; readonly mb: number }[];
}

export interface Observations {
  readonly leaseMs: number;
  readonly renewMs: number;
  trafficStart: number;
  trafficEnd: number;
  checkedAt: number;
  readonly tasks: SoakTask[];
  /** Console lines the host never acknowledged with 📥 (it was killed first): not tasks. */
  readonly unacknowledged: { readonly token: string; readonly at: number; readonly why: string }[];
  ledger: SoakLedgerLine[];
  readonly faults: FaultRecord[];
  readonly lives: HostLife[];
  readonly health: HealthSample[];
  readonly stops: StopEvidence[];
  readonly alerts: AlertSeen[];
  /** Deliveries still waiting in each outbox at the end (their alerts did not reach a sink yet). */
  readonly alertsPending: { readonly cluster: Cluster; readonly count: number }[];
  readonly rss: { start?: RssSample; end?: RssSample };
  /** What went wrong in the harness itself (a host that would not start, a fault that failed). */
  readonly harnessProblems: string[];
}

export const emptyObservations = (options: {
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly trafficStart: number;
}): Observations => ({
  ...options,
  trafficEnd: options.trafficStart,
  checkedAt: options.trafficStart,
  tasks: [],
  unacknowledged: [],
  ledger: [],
  faults: [],
  lives: [],
  health: [],
  stops: [],
  alerts: [],
  alertsPending: [],
  rss: {},
  harnessProblems: [],
});
