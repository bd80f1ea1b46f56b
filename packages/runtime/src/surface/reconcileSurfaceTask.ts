// After a restart, what a task the surface bridge left open should become: the work queue's record
// decides (finished → its outcome is posted and the final reaction set; still queued or waiting for a
// retry → tracked again, showing 📥 or 🔁 until its events move it on; leased → tracked again, still
// showing what it showed, since a host may be running it right now — ⚙️, or ✋ while it waits for a
// person, as after a takeover of the Discord gateway), and the status
// reactions left on its message are tidied to one — read from the surface when it can tell its own
// reactions, else trusted from what the ledger recorded.
import type { TaskRecord } from "../durable/WorkQueue.ts";
import type { TaskState } from "../events/catalogue.ts";
import type { Surface, SurfaceMessageRef } from "./Surface.ts";
import { statusSymbolSet } from "./statusSymbols.ts";

export type AfterRestart =
  | { readonly kind: "finished"; readonly record: TaskRecord }
  | { readonly kind: "open"; readonly state: Extract<TaskState, "queued" | "retrying"> }
  | { readonly kind: "running" };

export const afterRestart = (taskId: string, record: TaskRecord | undefined): AfterRestart => {
  if (!record)
    return {
      kind: "finished",
      record: {
        taskId,
        status: "dead",
        attempts: 0,
        error: { tag: "NotFound", reason: "the task was not in the work queue after a restart" },
      },
    };
  switch (record.status) {
    case "queued":
      return { kind: "open", state: "queued" };
    case "leased":
      return { kind: "running" };
    case "delayed":
      return { kind: "open", state: "retrying" };
    default:
      return { kind: "finished", record };
  }
};

/** The state a finished task ends in, from its record. */
export const finalStateOf = (
  record: TaskRecord | undefined,
): Extract<TaskState, "succeeded" | "cancelled" | "failed"> =>
  record?.status === "succeeded" || record?.status === "cancelled" ? record.status : "failed";

/**
 * Leave at most one status reaction on `message`, `wanted` if it is there; resolves to the one left
 * (undefined when none). `recorded` is what the ledger says it showed, used when the surface cannot
 * say which reactions are its own or fails to.
 */
export const tidyStatusReactions = async (
  surface: Surface,
  message: SurfaceMessageRef,
  recorded: string | undefined,
  wanted: string,
): Promise<string | undefined> => {
  const trusted = recorded === undefined ? [] : [recorded];
  const own = surface.ownReactions ? await surface.ownReactions(message).catch(() => trusted) : trusted;
  const status = own.filter((emoji) => statusSymbolSet.has(emoji));
  const kept = status.includes(wanted) ? wanted : status[0];
  for (const emoji of status) if (emoji !== kept) await surface.unreact(message, emoji);
  return kept;
};
