// The host's HumanGateway on the local console: an agent's question or approval waits here until the
// person at the console answers it with `/answer <taskId> <text>`, `/approve <taskId>` or
// `/deny <taskId>`; a poll takes the console person's vote with `/vote <taskId> <number>` (one vote,
// the latest counts) and closes at the quorum or its expiry. It exists before the console does (the team needs its gateway when it is built),
// so prompts asked before the console attached are shown when it attaches.
import { userInfo } from "node:os";
import {
  type ApprovalAnswer,
  type ApprovalRequest,
  formatMillis,
  type HumanGateway,
  type PollRequest,
  type PollResult,
  PollTally,
} from "@troupe/runtime";

export type HumanPrompt =
  | { readonly kind: "question"; readonly taskId: string; readonly agent: string; readonly question: string }
  | {
      readonly kind: "approval";
      readonly taskId: string;
      readonly agent: string;
      readonly request: ApprovalRequest;
      /** How long is left to answer, when it was asked. */
      readonly expiresInMs: number;
    }
  | {
      readonly kind: "poll";
      readonly taskId: string;
      readonly agent: string;
      readonly request: PollRequest;
      /** How long the vote stays open, when it was asked. */
      readonly expiresInMs: number;
    };

type Settled = string | ApprovalAnswer | PollResult;

interface Waiting {
  readonly prompt: HumanPrompt;
  readonly settle: (answer: Settled) => void;
}

export interface ConsoleHumanGateway extends HumanGateway {
  /** Show each prompt as it is asked (and those already waiting); returns the detach function. */
  attach(show: (prompt: HumanPrompt) => void): () => void;
  /** Answer a task's question; returns what to print. */
  answer(taskId: string, text: string): string;
  /** Approve or deny a task's pending approval (`hash`: the short hash the person read, if given). */
  decide(taskId: string, approved: boolean, hash?: string): string;
  /** Cast the console person's vote for choice `number` (1-based) of a task's open poll. */
  vote(taskId: string, number: number): string;
  readonly waiting: readonly HumanPrompt[];
}

const consoleUser = (): string => {
  try {
    return `console:${userInfo().username}`;
  } catch {
    return "console";
  }
};

export const createConsoleHumanGateway = (options: { now?: () => number; by?: string } = {}) => {
  const now = options.now ?? Date.now;
  const by = options.by ?? consoleUser();
  const waiting: Waiting[] = [];
  const viewers = new Set<(prompt: HumanPrompt) => void>();

  const tallies = new Map<string, PollTally>();
  /** Whole seconds left until `expiresAt`: "10m", not "9m 60s" a millisecond after asking. */
  const left = (expiresAt: number) => Math.max(0, Math.ceil((expiresAt - now()) / 1_000) * 1_000);

  const wait = <T extends Settled>(prompt: HumanPrompt, signal: AbortSignal): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const entry: Waiting = {
        prompt,
        settle: (answer) => {
          signal.removeEventListener("abort", onAbort);
          resolve(answer as T);
        },
      };
      const onAbort = () => {
        const index = waiting.indexOf(entry);
        if (index >= 0) waiting.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiting.push(entry);
      for (const show of viewers) show(prompt);
    });

  const take = (taskId: string, kind: HumanPrompt["kind"]): Waiting | undefined => {
    const index = waiting.findIndex((entry) => entry.prompt.taskId === taskId && entry.prompt.kind === kind);
    return index < 0 ? undefined : waiting.splice(index, 1)[0];
  };

  const gateway: ConsoleHumanGateway = {
    ask: (question, { task, agent, signal }) =>
      wait<string>({ kind: "question", taskId: task.id, agent, question }, signal),
    approve: (request, { task, agent, signal }) =>
      wait<ApprovalAnswer>(
        {
          kind: "approval",
          taskId: task.id,
          agent,
          request,
          expiresInMs: left(request.expiresAt),
        },
        signal,
      ),
    poll: (request, { task, agent, signal, expiry }) => {
      const tally = new PollTally(request);
      tallies.set(task.id, tally);
      const closeAtExpiry = () => take(task.id, "poll")?.settle(tally.result("expiry"));
      expiry.addEventListener("abort", closeAtExpiry, { once: true });
      const prompt: HumanPrompt = {
        kind: "poll",
        taskId: task.id,
        agent,
        request,
        expiresInMs: left(request.expiresAt),
      };
      return wait<PollResult>(prompt, signal).finally(() => {
        expiry.removeEventListener("abort", closeAtExpiry);
        tallies.delete(task.id);
      });
    },
    attach(show) {
      viewers.add(show);
      for (const entry of waiting) show(entry.prompt);
      return () => viewers.delete(show);
    },
    answer(taskId, text) {
      if (text.trim() === "") return "/answer needs a text: /answer <taskId> <text>";
      const entry = take(taskId, "question");
      if (!entry) return `task ${taskId} is not waiting for an answer`;
      entry.settle(text.trim());
      return `[${taskId}] answered`;
    },
    decide(taskId, approved, hash) {
      const entry = waiting.find((item) => item.prompt.taskId === taskId && item.prompt.kind === "approval");
      if (entry?.prompt.kind !== "approval") return `task ${taskId} is not waiting for an approval`;
      const { request } = entry.prompt;
      if (hash !== undefined && !request.hash.startsWith(hash.replace(/^#/, "").toLowerCase())) {
        return `refused: task ${taskId} waits for the approval of #${request.shortHash}, not #${hash.replace(/^#/, "")}`;
      }
      take(taskId, "approval");
      entry.settle({ hash: request.hash, approved, by });
      return `[${taskId}] ${approved ? "approved" : "denied"} #${request.shortHash} (by ${by})`;
    },
    vote(taskId, number) {
      const entry = waiting.find((item) => item.prompt.taskId === taskId && item.prompt.kind === "poll");
      const tally = tallies.get(taskId);
      if (entry?.prompt.kind !== "poll" || !tally) return `task ${taskId} is not waiting for a vote`;
      const { choices, quorum } = entry.prompt.request;
      const choice = choices[number - 1];
      if (choice === undefined) return `/vote takes a choice's number, 1 to ${choices.length}`;
      tally.cast(by, choice);
      const votes = tally.result("quorum").tally[number - 1]!.votes;
      if (tally.winner === undefined) return `[${taskId}] voted ${choice} (${votes} of ${quorum} needed)`;
      take(taskId, "poll");
      entry.settle(tally.result("quorum"));
      return `[${taskId}] voted ${choice}: it has the quorum of ${quorum}`;
    },
    get waiting() {
      return waiting.map((entry) => entry.prompt);
    },
  };
  return gateway;
};

/** What the console prints under the ✋ line when a prompt is asked: what it is and how to answer. */
export const describePrompt = (prompt: HumanPrompt): string[] => {
  if (prompt.kind === "question") return [`[${prompt.taskId}] reply with /answer ${prompt.taskId} <text>`];
  if (prompt.kind === "poll") {
    const { request, taskId } = prompt;
    return [
      `[${taskId}] ${prompt.agent} asks for a vote (${request.quorum} to win, closes in ${formatMillis(prompt.expiresInMs)}): ${request.question}`,
      ...request.choices.map((choice, index) => `[${taskId}]   ${index + 1}. ${choice}`),
      `[${taskId}] reply with /vote ${taskId} <number>`,
    ];
  }
  const { request } = prompt;
  return [
    `[${prompt.taskId}] ${prompt.agent} asks for approval of #${request.shortHash} (expires in ${formatMillis(prompt.expiresInMs)}): ${request.canonical}`,
    `[${prompt.taskId}] reply with /approve ${prompt.taskId} or /deny ${prompt.taskId}`,
  ];
};
