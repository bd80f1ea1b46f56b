// Test support, never in the default team: the `soak` agent the soak run (test/soak/) sends its
// tasks to. Its text says what to do — `<kind> <token> <ledger file>` — and it writes one JSON line
// to the ledger when a run starts and one when the run's effect happened, with the task's id and the
// host's pid, so the soak run can tell from outside how often each task really ran and where. Kinds:
// `ok:<ms>` works that long (heartbeating) and answers; `model` asks the model of its role (the
// Ollama stand-in) and answers with what it said; `bad` fails as bad input does; `bug` throws an
// unexpected exception, as a bug in an agent would.
import { appendFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { defineAgent, TroupeError } from "@troupe/runtime";

export type SoakKind =
  | { readonly kind: "ok"; readonly ms: number }
  | { readonly kind: "model" | "bad" | "bug" };

/** One line of the ledger. */
export interface SoakLedgerLine {
  readonly phase: "start" | "effect";
  readonly token: string;
  readonly taskId: string;
  readonly pid: number;
  readonly at: number;
}

const MAX_MS = 60_000;
const HEARTBEAT_MS = 500;
/** A model call that hangs fails after this, so a hanging model is a failed attempt, not a stuck task. */
const MODEL_DEADLINE = "8s";

/** The text of a soak task: what the harness sends and the agent reads. */
export const soakTaskText = (what: SoakKind, token: string, ledger: string): string =>
  `${what.kind === "ok" ? `ok:${what.ms}` : what.kind} ${token} ${ledger}`;

const parse = (text: string): { what: SoakKind; token: string; ledger: string } => {
  const [kind = "", token = "", ledger = "", ...rest] = text.trim().split(/\s+/);
  if (rest.length > 0 || token === "" || !isAbsolute(ledger))
    throw new TroupeError("InvalidTask", "soak needs `<kind> <token> <absolute ledger path>`");
  const ok = /^ok:(\d+)$/.exec(kind);
  if (ok) {
    const ms = Number(ok[1]);
    if (ms > MAX_MS) throw new TroupeError("InvalidTask", `soak ${token}: ok:<ms> takes at most ${MAX_MS}`);
    return { what: { kind: "ok", ms }, token, ledger };
  }
  if (kind === "model" || kind === "bad" || kind === "bug") return { what: { kind }, token, ledger };
  throw new TroupeError("InvalidTask", `soak ${token}: unknown kind "${kind}" (ok:<ms>, model, bad or bug)`);
};

const note = (ledger: string, line: Omit<SoakLedgerLine, "pid" | "at">) =>
  appendFileSync(ledger, `${JSON.stringify({ ...line, pid: process.pid, at: Date.now() })}\n`);

const work = async (ms: number, signal: AbortSignal, heartbeat: () => void) => {
  const startedAt = Date.now();
  while (Date.now() - startedAt < ms) {
    signal.throwIfAborted();
    heartbeat();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(HEARTBEAT_MS, ms - (Date.now() - startedAt)));
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
  signal.throwIfAborted();
};

export const soakAgent = defineAgent({
  name: "soak",
  description: "Test support: the soak run's agent; works, asks its model or fails as its text says.",
  capabilities: [],
  model: "soak",
  async handle(task, ctx) {
    const { what, token, ledger } = parse(task.text);
    note(ledger, { phase: "start", token, taskId: task.id });
    let answer = `${token} done`;
    switch (what.kind) {
      case "ok":
        await work(what.ms, ctx.signal, ctx.heartbeat);
        break;
      case "model": {
        const reply = await ctx.llm.chat([{ role: "user", content: `soak ${token}` }], {
          signal: ctx.signal,
          deadline: MODEL_DEADLINE,
        });
        answer = `${token} done: ${reply.content}`;
        break;
      }
      case "bad":
        throw new TroupeError("InvalidTask", `soak ${token}: bad input, as asked`);
      case "bug":
        throw new Error(`soak ${token}: an unexpected exception, as asked`);
    }
    note(ledger, { phase: "effect", token, taskId: task.id });
    return { text: answer };
  },
});
