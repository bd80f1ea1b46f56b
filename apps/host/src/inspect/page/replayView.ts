/// <reference lib="dom" />
// The replay part of the Details panel, for a recorded trace: at the record a replay diverged at
// (`troupe inspect --replay`), the divergence as `troupe replay` prints it, expected against got;
// for any record of a task, "replay from here" — the commands that replay the task's tree from this
// trace and fork it live from this record, each with a button to copy it. The commands name the
// trace the page was opened with, or the earlier file of its folder where the task's recording
// starts (the folder rotated while it ran), and the root task (a subtask is replayed with it).

import { rootTaskOf, taskOrIoTaskOf } from "../../replay/recordedTasks.ts";
import { forkCommandLine, replayCommandLine } from "../../replay/replayCommandLine.ts";
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

export const replayHtml = (store: TraceStore, replay: TraceReplay | null, index: number): string => {
  const record = store.records[index];
  if (!replay || !record) return "";
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
    const subtask = root !== taskId ? ` (a subtask of ${escapeHtml(root)}, replayed with it)` : "";
    const noTaskIo = store.taskParents.size === 0 && Object.keys(replay.earlier).length === 0;
    const body =
      file !== null
        ? command("fork", forkCommandLine(file, root, record.seq)) +
          `<div class="hint">Replays the task up to record #${record.seq}, then goes on live with the real model.</div>` +
          command("replay", replayCommandLine(file, root)) +
          '<div class="hint">Replays the task offline and compares it with the recording.</div>'
        : noTaskIo
          ? '<div class="empty">This trace records no task I/O (troupe start records it; a program adds recordTaskIo), so its tasks cannot be replayed.</div>'
          : `<div class="empty">This trace does not hold the start of task ${escapeHtml(root)}, nor does an earlier file of its folder: it cannot be replayed.</div>`;
    parts.push(
      `<div class="replay-here"><h3>Replay from here · task ${escapeHtml(taskId)}${subtask}</h3>${body}</div>`,
    );
  }
  return parts.join("");
};
