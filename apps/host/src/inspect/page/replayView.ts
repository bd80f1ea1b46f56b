/// <reference lib="dom" />
// The replay part of the Details panel: at the record a replay diverged at (`troupe inspect
// --replay`), the divergence as `troupe replay` prints it, expected against got; for any record of a
// task, "replay from here" — the commands that replay the task's tree and fork it live from this
// record, each with a button to copy it. On a recorded trace the commands name the trace the page
// was opened with, or the earlier file of its folder where the task's recording starts (the folder
// rotated while it ran); on the host's live page, the trace file the host says the task's recording
// starts in. They name the root task (a subtask is replayed with it).

import { rootTaskOf, taskOrIoTaskOf } from "../../replay/recordedTasks.ts";
import { forkCommandLine, type ReplayTarget, replayCommandLine } from "../../replay/replayCommandLine.ts";
import type { TraceReplay } from "../InspectSource.ts";
import type { TraceStore } from "./TraceStore.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

const command = (name: string, line: string) =>
  `<div class="command" data-command="${name}"><code>${escapeHtml(line)}</code><button class="copy" data-copy="${escapeHtml(line)}" title="Copy the command">Copy</button></div>`;

/** The task's root and the file its recording starts in; the file is null when no kept file has it. */
const replayTarget = (store: TraceStore, replay: TraceReplay, taskId: string) => {
  const parents = new Map(store.taskParents);
  for (const [id, start] of Object.entries(replay.earlier))
    if (!parents.has(id)) parents.set(id, start.parent);
  const root = rootTaskOf(parents, taskId);
  const file = store.taskParents.has(root) ? replay.trace : (replay.earlier[root]?.file ?? null);
  return { root, file };
};

/** What the live page knows of a task's replay: its target, why there is none, or not yet (undefined). */
export type LiveReplayTarget = ReplayTarget | { readonly reason: string };

/** The commands, and what each does. */
const commandsHtml = (file: string, root: string, seq: number) =>
  command("fork", forkCommandLine(file, root, seq)) +
  `<div class="hint">Replays the task up to record #${seq}, then goes on live with the real model.</div>` +
  command("replay", replayCommandLine(file, root)) +
  '<div class="hint">Replays the task offline and compares it with the recording.</div>';

const hereHtml = (taskId: string, root: string, body: string) => {
  const subtask = root !== taskId ? ` (a subtask of ${escapeHtml(root)}, replayed with it)` : "";
  return `<div class="replay-here"><h3>Replay from here · task ${escapeHtml(taskId)}${subtask}</h3>${body}</div>`;
};

/** "Replay from here" on the live page, from what the host said of the task (`live`). */
const liveHtml = (taskId: string, seq: number, live: LiveReplayTarget | undefined): string => {
  if (live === undefined)
    return hereHtml(taskId, taskId, '<div class="empty">Looking up the task\'s trace file…</div>');
  if ("reason" in live)
    return hereHtml(taskId, taskId, `<div class="empty">${escapeHtml(live.reason)}</div>`);
  return hereHtml(taskId, live.rootTaskId, commandsHtml(live.file, live.rootTaskId, seq));
};

export const replayHtml = (
  store: TraceStore,
  replay: TraceReplay | null,
  index: number,
  live?: (taskId: string) => LiveReplayTarget | undefined,
): string => {
  const record = store.records[index];
  if (!record) return "";
  if (!replay) {
    const taskId = live ? taskOrIoTaskOf(record) : null;
    return taskId === null ? "" : liveHtml(taskId, record.seq, live!(taskId));
  }
  const parts: string[] = [];
  const outcome = replay.outcome;
  if (outcome && !outcome.identical && outcome.divergence.at === record.seq) {
    const { divergence } = outcome;
    parts.push(
      `<div class="divergence"><h3>The replay diverged here</h3><pre>${escapeHtml(divergence.text)}</pre>` +
        `<details><summary>expected and got, whole</summary><h3>Expected</h3><pre>${escapeHtml(JSON.stringify(divergence.expected, null, 2))}</pre>` +
        `<h3>Got</h3><pre>${escapeHtml(JSON.stringify(divergence.got, null, 2))}</pre></details></div>`,
    );
  }
  const taskId = taskOrIoTaskOf(record);
  if (taskId !== null) {
    const { root, file } = replayTarget(store, replay, taskId);
    const noTaskIo = store.taskParents.size === 0 && Object.keys(replay.earlier).length === 0;
    const body =
      file !== null
        ? commandsHtml(file, root, record.seq)
        : noTaskIo
          ? '<div class="empty">This trace records no task I/O (troupe start records it; a program adds recordTaskIo), so its tasks cannot be replayed.</div>'
          : `<div class="empty">This trace does not hold the start of task ${escapeHtml(root)}, nor does an earlier file of its folder: it cannot be replayed.</div>`;
    parts.push(hereHtml(taskId, root, body));
  }
  return parts.join("");
};
