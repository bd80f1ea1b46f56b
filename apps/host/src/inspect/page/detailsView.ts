/// <reference lib="dom" />
// The details panel: the record picked in the timeline, the snapshot of its actor right after it
// and the context diff it caused (the actor's context just before vs. just after).
import type { TraceRecord } from "@troupe/runtime/inspect/graph";
import { contextDiff } from "./contextDiff.ts";
import type { TraceStore } from "./TraceStore.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

const json = (value: unknown) => escapeHtml(JSON.stringify(value, null, 2) ?? "undefined");

/** How far after an event its actor's snapshot is looked for. */
const SNAPSHOT_LOOKAHEAD = 500;

export const detailsHtml = (store: TraceStore, index: number): { title: string; html: string } => {
  const record: TraceRecord | undefined = store.records[index];
  if (!record) return { title: "", html: '<div class="empty">Click an event in the timeline.</div>' };
  const parts = [`<h3>Record #${record.seq} (${record.kind})</h3><pre>${json(record)}</pre>`];
  if (record.kind === "event") {
    const actor = record.target;
    let after = -1;
    for (let k = index + 1; k < Math.min(store.records.length, index + SNAPSHOT_LOOKAHEAD); k += 1) {
      const next = store.records[k]!;
      if (next.kind === "snapshot" && next.actor === actor) {
        after = k;
        break;
      }
    }
    if (after >= 0) {
      const snapshot = store.records[after]!;
      const before = store.stateAt(index - 1).actors[actor]?.context;
      const now = store.stateAt(after).actors[actor];
      const diff = contextDiff(before, now?.context);
      parts.push(
        `<h3>Snapshot after it (#${snapshot.seq})</h3><pre>${json({
          status: now?.status ?? (snapshot.kind === "snapshot" ? snapshot.status : undefined),
          value: now?.value,
          context: now?.context,
        })}</pre>`,
      );
      parts.push(
        `<h3>Context diff</h3>${
          diff.length === 0
            ? '<div class="empty">The context did not change.</div>'
            : diff
                .map(
                  (entry) =>
                    `<div class="diff-row"><span class="path">${escapeHtml(entry.path)}</span> ${entry.change}${
                      entry.change !== "added"
                        ? ` <span class="was">${escapeHtml(JSON.stringify(entry.before) ?? "")}</span>`
                        : ""
                    }${entry.change !== "removed" ? ` → <span class="now">${escapeHtml(JSON.stringify(entry.after) ?? "")}</span>` : ""}</div>`,
                )
                .join("")
        }`,
      );
    } else {
      parts.push(
        '<div class="empty">No snapshot of its actor follows (an actor that is not a machine, or the end of the trace).</div>',
      );
    }
  }
  const title =
    record.kind === "event"
      ? record.type
      : record.kind === "runtime"
        ? record.event.type
        : record.kind === "llm"
          ? `llm ${record.model}`
          : record.kind === "approval"
            ? `approval ${record.decision}`
            : record.kind === "io"
              ? `io.${record.port}`
              : record.kind;
  return { title, html: parts.join("") };
};
