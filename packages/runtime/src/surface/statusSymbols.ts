// The symbol and words of each task state, shared by every surface: the console prints them, and the
// Discord surface reacts with the same symbols on a task's message.
import type { TaskState } from "../events/catalogue.ts";

export interface StatusSymbol {
  readonly symbol: string;
  readonly label: string;
}

export const statusSymbols: Readonly<Record<TaskState, StatusSymbol>> = {
  queued: { symbol: "📥", label: "queued" },
  claimed: { symbol: "👀", label: "claimed" },
  working: { symbol: "⚙️", label: "working" },
  awaiting_human: { symbol: "✋", label: "waiting for a human" },
  retrying: { symbol: "🔁", label: "retrying" },
  succeeded: { symbol: "✅", label: "done" },
  failed: { symbol: "❌", label: "failed" },
  cancelled: { symbol: "🚫", label: "cancelled" },
};

/** "📥 queued", with `detail` after it when given ("✅ done in 3ms"). */
export const statusText = (state: TaskState, detail?: string): string => {
  const { symbol, label } = statusSymbols[state];
  return detail ? `${symbol} ${label} ${detail}` : `${symbol} ${label}`;
};

/** Every status symbol, to tell a status reaction from any other. */
export const statusSymbolSet: ReadonlySet<string> = new Set(
  Object.values(statusSymbols).map((status) => status.symbol),
);
