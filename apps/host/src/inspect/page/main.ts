/// <reference lib="dom" />
// The visualizer page: connects to the host's record stream (Server-Sent Events, backfill from the
// last seq seen), keeps the run in a TraceStore, and draws the supervision tree, the selected
// actor's statechart, the timeline and the details for the current point — the live end, or any
// point scrubbed to. The point, the actor and the filters live in the address fragment (edited
// by hand, it is followed). The selection follows an agent across its incarnations; a tab that
// reconnects to a host that restarted starts over on the new run. Details offer the commands that
// replay a task from the record picked (on the live page, naming the trace file the host says the
// task's recording starts in); opened with `troupe inspect --replay`, the page lands on the record
// the replay diverged at, with its agent selected.
import {
  activeStateIds,
  type ReplayState,
  type TraceRecord,
  type TraceRecordOf,
} from "@troupe/runtime/inspect/graph";
import { taskOf } from "../../replay/recordedTasks.ts";
import type { ReplayTarget } from "../../replay/replayCommandLine.ts";
import type { ChartLayout } from "../ChartLayout.ts";
import type { ShownDivergence, TraceReplay } from "../InspectSource.ts";
import { CHART_CSS } from "../inspectPageHtml.ts";
import { type ChartView, drawChart, exportSvg } from "./chartView.ts";
import { createChartZoom } from "./chartZoom.ts";
import { formatDeepLink, parseDeepLink } from "./deepLink.ts";
import { detailsHtml } from "./detailsView.ts";
import { type LiveReplayTarget, replayHtml } from "./replayView.ts";
import { sequenceHtml } from "./sequenceView.ts";
import { createTraceStore, withoutIncarnation } from "./TraceStore.ts";
import { createTimelineView, type TimelineFilter } from "./timelineView.ts";
import { formatValue, treeHtml } from "./treeView.ts";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const store = createTraceStore();
const link = parseDeepLink(location.hash);
const filter: TimelineFilter = {
  actor: link.filterActor,
  task: link.task,
  type: link.type,
  hideXstate: !link.showXstate,
};
let follow = link.seq === null;
let position = -1; // index into store.records shown when not following
let pendingSeq = link.seq; // a deep link's point, applied once its record has arrived
let selected: string | null = link.actor;
let mode: "live" | "trace" = "live";
let run: string | null = null; // the run behind the stream
let ended = false;
let replay: TraceReplay | null = null; // a recorded trace's replay commands and outcome
let divergence: ShownDivergence | null = null; // where `troupe inspect --replay` found it diverged
let pendingLineage: string | null = null; // the divergence's agent, selected once its actor arrived

const scrub = byId<HTMLInputElement>("scrub");
const treeElement = byId("tree");
const chartElement = byId("chart");
const actorSelect = byId<HTMLSelectElement>("filter-actor");
const sequenceElement = byId("sequence");
let showSequence = false; // the Details panel shows the sequence view instead
let sequenceTask = ""; // the task the sequence view shows
const zoom = createChartZoom(chartElement, {
  zoomIn: byId("zoom-in"),
  zoomOut: byId("zoom-out"),
  fit: byId("zoom-fit"),
});

const timeline = createTimelineView(byId("timeline-scroll"), byId("timeline"), store, (index) => {
  follow = false;
  position = index;
  renderSoon();
});

// ── charts: one drawing per machine hash, laid out by the server ────────────
const layouts = new Map<string, Promise<ChartLayout>>();
const charts = new Map<string, ChartView>();
const layoutErrors = new Map<string, string>();
let shownHash: string | null = null;
let flashedIndex = -1;

const chartFor = (hash: string): ChartView | undefined => {
  const known = charts.get(hash);
  if (known) return known;
  if (!layouts.has(hash)) {
    const loading = fetch(`/inspect/api/layout/${encodeURIComponent(hash)}`).then(async (response) => {
      if (!response.ok) throw new Error(((await response.json()) as { error: string }).error);
      return (await response.json()) as ChartLayout;
    });
    layouts.set(hash, loading);
    loading.then(
      (layout) => {
        charts.set(hash, drawChart(layout));
        renderSoon();
      },
      (error: unknown) => {
        layoutErrors.set(hash, String(error));
        renderSoon();
      },
    );
  }
  return undefined;
};

const shownIndex = () => (follow ? store.records.length - 1 : position);

/** The selected agent's incarnation running at this point, when the selected one is not. */
const followIncarnation = (state: ReplayState) => {
  const name = selected ? store.names.get(selected) : undefined;
  if (!name || state.actors[name.actor]) return;
  for (const actor of Object.keys(state.actors)) {
    if (store.names.get(actor)?.lineage === name.lineage) {
      selected = actor;
      lastTreeKey = "";
      flashedIndex = -1;
      return;
    }
  }
};

/** The actor of `lineage` (an agent's name) running at `index`, else any of its incarnations. */
const actorOfLineage = (lineage: string, index: number): string | null => {
  const state = store.stateAt(index);
  let any: string | null = null;
  for (const name of store.names.values()) {
    if (name.lineage !== lineage) continue;
    if (state.actors[name.actor]) return name.actor;
    any ??= name.actor;
  }
  return any;
};

/** The last record at or before `index` holding a transition of `actor` (-1 when none). */
const lastStepOf = (actor: string | undefined, index: number): number => {
  const steps = actor ? store.microsteps.get(actor) : undefined;
  let last = -1;
  if (!steps) return last;
  let low = 0;
  let high = steps.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (steps[middle]! <= index) {
      last = steps[middle]!;
      low = middle + 1;
    } else high = middle - 1;
  }
  return last;
};

type TransitionsOf = TraceRecordOf<"microstep">["transitions"][number];

/** The transitions a record (a microstep, a snapshot) holds. */
const transitionsAt = (index: number): readonly TransitionsOf[] => {
  const step = index >= 0 ? store.records[index] : undefined;
  return step?.kind === "microstep" || step?.kind === "snapshot" ? (step.transitions ?? []) : [];
};

const renderChart = (index: number) => {
  const state = store.stateAt(index);
  const actor = selected ? (state.actors[selected] ?? undefined) : undefined;
  const name = selected ? store.names.get(selected) : undefined;
  const hash = actor?.graph ?? name?.graph ?? null;
  // An incarnation started by a restart: the crash that ended the one before is marked.
  const restartIndex = name ? (store.restarts.get(name.id) ?? -1) : -1;
  const restart = restartIndex >= 0 && restartIndex <= index ? store.records[restartIndex] : undefined;
  const crash = byId("chart-crash");
  crash.hidden = restart?.kind !== "runtime";
  crash.textContent =
    restart?.kind === "runtime" && restart.event.type === "agent.restarted"
      ? `↻ restarted at #${restart.seq}: ${restart.event.cause}`
      : "";
  byId("chart-title").textContent = name
    ? `${name.label} (${name.machine ?? "not a machine"})${actor ? ` · ${formatValue(actor.value)}` : " · not running here"}`
    : "";
  if (!hash) {
    shownHash = null;
    const why = name
      ? "This actor is not a state machine (a promise or a callback)."
      : ended && store.records.length === 0
        ? byId("notice").textContent || "This trace is empty: it holds no records."
        : "Select an actor in the tree.";
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = why;
    chartElement.replaceChildren(empty);
    return;
  }
  const chart = chartFor(hash);
  if (!chart) {
    const why = layoutErrors.has(hash) ? `No chart: ${layoutErrors.get(hash)}` : "Laying out…";
    if (chartElement.textContent !== why) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = why;
      chartElement.replaceChildren(empty);
    }
    shownHash = null;
    return;
  }
  if (shownHash !== hash) {
    chartElement.replaceChildren(chart.svg);
    zoom.fitShown();
    shownHash = hash;
    flashedIndex = -1;
  }
  const machine = store.machines.get(hash);
  chart.setActive(actor && machine ? activeStateIds(machine.graph.root, actor.value) : []);
  // Flash the last transition this actor took at or before the point shown; for an incarnation
  // that has taken none yet after a restart, the one that ended its predecessor (the crash).
  let last = lastStepOf(selected ?? undefined, index);
  let crashedBy: readonly TransitionsOf[] = [];
  if (last < 0 && restart && name) {
    const number = Number(/#(\d+)$/.exec(name.id)?.[1] ?? 0);
    last = lastStepOf(store.actorById.get(`${withoutIncarnation(name.id)}#${number - 1}`), index);
    crashedBy = transitionsAt(last);
  }
  chart.markCrash(crashedBy);
  if (last !== flashedIndex) {
    flashedIndex = last;
    chart.flash(transitionsAt(last));
  }
};

// ── rendering ────────────────────────────────────────────────────────────────
let frame = 0;
let lastTreeKey = "";
const renderSoon = () => {
  if (frame === 0) frame = requestAnimationFrame(render);
};

const updateLink = () => {
  const index = shownIndex();
  const seq = follow || index < 0 ? null : store.records[index]!.seq;
  const hash = formatDeepLink({
    seq,
    actor: selected,
    task: filter.task,
    type: filter.type,
    filterActor: filter.actor,
    showXstate: !filter.hideXstate,
  });
  if (hash !== location.hash && !(hash === "#" && location.hash === "")) history.replaceState(null, "", hash);
};

function render() {
  frame = 0;
  if (pendingSeq !== null && store.records.length > 0) {
    const index = store.indexOfSeq(pendingSeq);
    const reached = store.records.at(-1)!.seq >= pendingSeq || ended;
    if (reached) {
      position = Math.max(0, index);
      follow = false;
      pendingSeq = null;
      timeline.reveal(position);
    }
  }
  const index = shownIndex();
  const state = store.stateAt(index);
  followIncarnation(state);
  const treeKey = `${state.seq}|${selected}`;
  if (treeKey !== lastTreeKey) {
    treeElement.innerHTML = treeHtml(state, selected);
    lastTreeKey = treeKey;
    const agents = Object.values(state.teams).reduce((sum, team) => sum + team.agents.length, 0);
    byId("tree-summary").textContent = `${Object.keys(state.actors).length} actors · ${agents} agents`;
  }
  renderChart(index);
  if (follow) timeline.reveal(index);
  timeline.draw(index);
  byId("timeline-count").textContent =
    `${timeline.count.toLocaleString("en")} of ${store.rows.length.toLocaleString("en")} events`;
  scrub.max = String(Math.max(0, store.records.length - 1));
  scrub.value = String(Math.max(0, index));
  const seq = index >= 0 ? store.records[index]!.seq : 0;
  const lastSeq = store.records.at(-1)?.seq ?? 0;
  byId("position").textContent = `seq ${seq.toLocaleString("en")} / ${lastSeq.toLocaleString("en")}`;
  document.body.dataset.seq = String(seq);
  byId("follow").classList.toggle("on", follow);
  // Details show the timeline row at the point, however it was reached.
  const picked = timeline.recordAt(index);
  if (showSequence) {
    // The task filtered on, else the task of the point shown, else the one shown before.
    const record = store.records[index];
    sequenceTask =
      filter.task ||
      (record && taskOf(record)) ||
      (picked >= 0 && taskOf(store.records[picked]!)) ||
      sequenceTask;
    const key = `${index}|${sequenceTask}|${store.records.length}`;
    if (sequenceElement.dataset.key !== key) {
      sequenceElement.innerHTML = sequenceHtml(store, index, sequenceTask);
      sequenceElement.dataset.key = key;
      byId("details-title").textContent = "";
    }
  } else {
    const details = detailsHtml(store, picked);
    byId("details-title").textContent = details.title;
    if (byId("details").dataset.index !== String(picked)) {
      byId("details").innerHTML =
        replayHtml(store, replay, picked, mode === "live" ? liveReplayTarget : undefined) + details.html;
      byId("details").dataset.index = String(picked);
    }
  }
  updateLink();
}

/** What the live host said of each task's replay (its root task and trace file), asked once per task. */
const liveTargets = new Map<string, LiveReplayTarget>();
const asked = new Set<string>();
const liveReplayTarget = (taskId: string): LiveReplayTarget | undefined => {
  if (asked.has(taskId)) return liveTargets.get(taskId);
  asked.add(taskId);
  fetch(`/inspect/api/replay/${encodeURIComponent(taskId)}`)
    .then(async (response) => {
      const body = (await response.json()) as ReplayTarget | { error: string };
      return "error" in body ? { reason: body.error } : body;
    })
    .catch((error: unknown) => ({
      reason: `The host did not say where the task is recorded: ${String(error)}`,
    }))
    .then((target) => {
      liveTargets.set(taskId, target);
      byId("details").dataset.index = ""; // drawn again, with the answer
      renderSoon();
    });
  return undefined;
};

// ── controls ─────────────────────────────────────────────────────────────────
const goTo = (index: number) => {
  follow = false;
  position = Math.max(-1, Math.min(store.records.length - 1, index));
  timeline.reveal(position);
  renderSoon();
};

scrub.addEventListener("input", () => goTo(Number(scrub.value)));
byId("first").addEventListener("click", () => goTo(0));
byId("last").addEventListener("click", () => goTo(store.records.length - 1));
byId("follow").addEventListener("click", () => {
  follow = !follow;
  if (!follow) position = store.records.length - 1;
  renderSoon();
});
/** One visible timeline row on (1) or back (-1); at either end it stays. */
const step = (direction: 1 | -1) => {
  const next = timeline.neighbour(shownIndex(), direction);
  if (next >= 0) goTo(next);
};
byId("next").addEventListener("click", () => step(1));
const showPanel = (sequence: boolean) => {
  showSequence = sequence;
  byId("show-sequence").classList.toggle("on", sequence);
  byId("show-details").classList.toggle("on", !sequence);
  sequenceElement.hidden = !sequence;
  byId("details").hidden = sequence;
  sequenceElement.dataset.key = "";
  byId("details").dataset.index = "";
  renderSoon();
};
byId("show-details").addEventListener("click", () => showPanel(false));
byId("show-sequence").addEventListener("click", () => showPanel(true));
sequenceElement.addEventListener("click", (event) => {
  const message = (event.target as HTMLElement).closest<HTMLElement>(".seq-msg");
  if (message) goTo(Number(message.dataset.index));
});
byId("prev").addEventListener("click", () => step(-1));
document.addEventListener("keydown", (event) => {
  // Text fields keep their arrow keys; the slider's step by visible row like everywhere else.
  if ((event.target as HTMLElement).tagName === "INPUT" && event.target !== scrub) return;
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  event.preventDefault();
  step(event.key === "ArrowRight" ? 1 : -1);
});

treeElement.addEventListener("click", (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>(".tree-row");
  if (!row) return;
  selected = row.dataset.actor ?? null;
  lastTreeKey = "";
  flashedIndex = -1;
  renderSoon();
});

const refilter = () => {
  timeline.refilter(filter);
  renderSoon();
};
actorSelect.addEventListener("change", () => {
  filter.actor = actorSelect.value;
  refilter();
});
byId<HTMLInputElement>("filter-task").value = filter.task;
byId<HTMLInputElement>("filter-type").value = filter.type;
byId<HTMLInputElement>("hide-xstate").checked = filter.hideXstate;
byId<HTMLInputElement>("filter-task").addEventListener("input", (event) => {
  filter.task = (event.target as HTMLInputElement).value.trim();
  refilter();
});
byId<HTMLInputElement>("filter-type").addEventListener("input", (event) => {
  filter.type = (event.target as HTMLInputElement).value.trim();
  refilter();
});
byId<HTMLInputElement>("hide-xstate").addEventListener("change", (event) => {
  filter.hideXstate = (event.target as HTMLInputElement).checked;
  refilter();
});

// A command's Copy button: the command is selected (so Ctrl+C copies it where the clipboard is not
// reachable, a page served beyond loopback over http) and put on the clipboard.
byId("details").addEventListener("click", (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button.copy");
  const code = button?.parentElement?.querySelector("code");
  if (!button || !code) return;
  getSelection()?.selectAllChildren(code);
  const copied = navigator.clipboard?.writeText(button.dataset.copy ?? "");
  if (!copied) button.textContent = "Selected: press Ctrl+C";
  copied?.then(
    () => (button.textContent = "Copied"),
    () => (button.textContent = "Selected: press Ctrl+C"),
  );
});

/** Go to the divergence's record with its agent selected. */
const showDivergence = () => {
  if (divergence?.at == null) return;
  const index = store.indexOfSeq(divergence.at);
  selected = actorOfLineage(divergence.actor, index) ?? selected;
  lastTreeKey = "";
  flashedIndex = -1;
  goTo(index);
};
byId("replay-result").addEventListener("click", showDivergence);

byId("copy-link").addEventListener("click", () => {
  const wasFollowing = follow;
  follow = false;
  if (wasFollowing) position = store.records.length - 1;
  updateLink();
  void navigator.clipboard?.writeText(location.href).catch(() => {});
  renderSoon();
});
byId("export-svg").addEventListener("click", () => {
  const chart = shownHash ? charts.get(shownHash) : undefined;
  if (!chart) return;
  const blob = new Blob([exportSvg(chart.svg, CHART_CSS)], { type: "image/svg+xml" });
  const anchor = document.createElement("a");
  anchor.href = URL.createObjectURL(blob);
  anchor.download = `${chart.layout.machine}-${chart.layout.hash}.svg`;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(anchor.href), 1_000);
});

// An address fragment edited by hand (or a link followed) in this tab: go where it says.
window.addEventListener("hashchange", () => {
  const next = parseDeepLink(location.hash);
  filter.actor = next.filterActor;
  filter.task = next.task;
  filter.type = next.type;
  filter.hideXstate = !next.showXstate;
  actorSelect.value = filter.actor;
  byId<HTMLInputElement>("filter-task").value = filter.task;
  byId<HTMLInputElement>("filter-type").value = filter.type;
  byId<HTMLInputElement>("hide-xstate").checked = filter.hideXstate;
  timeline.refilter(filter);
  if (next.actor !== null) selected = next.actor;
  lastTreeKey = "";
  flashedIndex = -1;
  follow = next.seq === null;
  pendingSeq = next.seq;
  renderSoon();
});

// ── the record stream ────────────────────────────────────────────────────────
let knownActors = 0;
const refreshActorFilter = () => {
  if (store.names.size === knownActors) return;
  knownActors = store.names.size;
  // One entry per agent (all its incarnations) or other machine actor; promise runners come and
  // go, and are found under their agent.
  const lineages = new Set<string>();
  for (const actor of store.names.values()) if (actor.machine !== null) lineages.add(actor.lineage);
  actorSelect.replaceChildren(
    new Option("all", ""),
    ...[...lineages].sort().map((lineage) => new Option(lineage, lineage)),
  );
  actorSelect.value = filter.actor;
};

/** A trace's replay: its outcome in the header; a divergence marked and, unless linked elsewhere, opened. */
const showReplay = (shown: TraceReplay | null) => {
  replay = shown;
  const outcome = shown?.outcome;
  const result = byId<HTMLButtonElement>("replay-result");
  result.hidden = !outcome;
  if (!outcome) return;
  if (outcome.identical) {
    result.textContent = `replay identical · ${outcome.tasks} task${outcome.tasks === 1 ? "" : "s"}`;
    result.disabled = true;
    return;
  }
  divergence = outcome.divergence;
  result.classList.add("diverged");
  result.textContent = `⚠ replay diverged${divergence.at !== null ? ` at #${divergence.at}` : ""} · task ${divergence.taskId} · ${divergence.actor}`;
  result.title = divergence.text;
  if (divergence.at === null) return;
  store.markDivergence(divergence.at);
  if (link.seq === null) {
    pendingSeq = divergence.at;
    follow = false;
  }
  if (link.actor === null) pendingLineage = divergence.actor;
};

const status = byId("status");
const source = new EventSource("/inspect/api/stream");
source.addEventListener("hello", (event) => {
  const hello = JSON.parse((event as MessageEvent<string>).data) as {
    mode: "live" | "trace";
    title: string;
    run: string;
    notice: string | null;
    replay: TraceReplay | null;
  };
  if (run !== null && hello.run !== run) {
    // The host restarted: the stream goes on with another run. Start over on it, at its live end
    // (the old run's point and actor ids mean nothing there; the filters are kept).
    source.close();
    history.replaceState(
      null,
      "",
      formatDeepLink({ ...parseDeepLink(location.hash), seq: null, actor: null }),
    );
    location.reload();
    return;
  }
  if (run === null) showReplay(hello.replay);
  run = hello.run;
  const notice = byId("notice");
  notice.hidden = hello.notice === null;
  notice.textContent = hello.notice ?? "";
  mode = hello.mode;
  const badge = byId("mode");
  badge.textContent = mode === "live" ? "live" : `trace · ${hello.title}`;
  badge.className = `badge ${mode}`;
  status.textContent = "loading…";
});
source.addEventListener("records", (event) => {
  const batch = JSON.parse((event as MessageEvent<string>).data) as TraceRecord[];
  const firstBatch = store.records.length === 0;
  store.add(batch);
  refreshActorFilter();
  if (firstBatch) timeline.refilter(filter);
  else timeline.append(filter);
  if (pendingLineage !== null && divergence?.at != null) {
    const actor = actorOfLineage(pendingLineage, store.indexOfSeq(divergence.at));
    if (actor !== null) {
      selected = actor;
      pendingLineage = null;
      lastTreeKey = "";
      flashedIndex = -1;
    }
  }
  if (selected === null) {
    // Start on the first agent (or whatever machine there is), so the chart is never empty.
    const candidates = [...store.names.values()].filter((actor) => actor.graph !== null);
    selected = (candidates.find((actor) => actor.machine === "agent") ?? candidates[0])?.actor ?? null;
  }
  status.textContent = `${store.records.length.toLocaleString("en")} records`;
  renderSoon();
});
const finished = (label: string) => (event: Event) => {
  const { seq } = JSON.parse((event as MessageEvent<string>).data) as { seq: number };
  status.textContent = `${store.records.length.toLocaleString("en")} records · ${label}`;
  document.body.dataset.loaded = String(seq);
  if (mode === "trace") {
    ended = true;
    source.close();
    if (follow && pendingSeq === null) {
      // A trace opens at its first record with an actor, so the tree has something to show.
      follow = false;
      const first = store.records.findIndex(
        (record) => record.kind === "actor" || record.kind === "checkpoint",
      );
      position = store.records.length === 0 ? -1 : Math.max(0, first);
    }
  }
  renderSoon();
};
source.addEventListener("ready", finished("live"));
source.addEventListener("end", finished("trace loaded"));
source.addEventListener("error", () => {
  if (!ended) status.textContent = "disconnected — reconnecting…";
});
