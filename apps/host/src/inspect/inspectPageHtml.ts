// The visualizer's HTML and CSS: one page, no external fonts, scripts or styles (the script is the
// bundle the host serves at /inspect/page.js). The chart's CSS is exported too, so an exported
// SVG looks the same outside the page.

/** Styles of the statechart SVG (inlined into exported SVGs). */
export const CHART_CSS = `
.chart { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.chart .state > rect { fill: #ffffff; stroke: #9aa5b1; stroke-width: 1.2; }
.chart .state.compound > rect, .chart .state.parallel > rect { fill: #f7f9fb; }
.chart .state.parallel > rect { stroke-dasharray: 6 4; }
.chart .state.final > rect.inner { fill: none; stroke: #9aa5b1; }
.chart .state.history > circle { fill: #ffffff; stroke: #9aa5b1; }
.chart .state .name { font-size: 12px; font-weight: 700; fill: #1f2933; }
.chart .state .line { font-size: 11px; fill: #52606d; }
.chart .state.active > rect, .chart .state.active > circle { stroke: #2563eb; stroke-width: 2.4; fill: #eaf1ff; }
.chart .state.active.compound > rect, .chart .state.active.parallel > rect { fill: #f3f7ff; }
.chart .state.active .name { fill: #1d4ed8; }
.chart .initial { fill: #3e4c59; }
.chart .edge path { fill: none; stroke: #7b8794; stroke-width: 1.3; }
.chart .edge.kind-always path { stroke-dasharray: 5 3; }
.chart .edge.kind-after path { stroke-dasharray: 2 3; }
.chart .edge.kind-error path { stroke: #c2410c; }
.chart .edge.kind-done path { stroke: #047857; }
.chart .edge text { font-size: 11px; fill: #323f4b; }
.chart .edge .label-bg { fill: #ffffff; fill-opacity: 0.9; }
.chart .edge.flash path { stroke: #f59e0b; stroke-width: 3; }
.chart .edge.flash text { fill: #b45309; font-weight: 700; }
.chart .state.flash > rect { stroke: #f59e0b; stroke-width: 3; }
.chart .edge.crashed path { stroke: #dc2626; stroke-width: 3; stroke-dasharray: none; }
.chart .edge.crashed text { fill: #b91c1c; font-weight: 700; }
`;

const PAGE_CSS = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 13px/1.4 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; color: #1f2933; background: #eef1f5;
  display: grid; grid-template-rows: 44px minmax(0, 1fr) 250px 48px; height: 100vh; }
header { display: flex; align-items: center; gap: 12px; padding: 0 14px; background: #1f2933; color: #f5f7fa; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header .badge { font-size: 11px; padding: 2px 8px; border-radius: 10px; background: #3e4c59; }
header .badge.live { background: #047857; } header .badge.trace { background: #6d28d9; }
header .spacer { flex: 1; }
header #status { font-size: 12px; color: #cbd2d9; }
button { font: inherit; font-size: 12px; padding: 4px 10px; border: 1px solid #9aa5b1; border-radius: 5px; background: #ffffff; color: #1f2933; cursor: pointer; }
button:hover { background: #f0f4f8; } button.on { background: #2563eb; color: #fff; border-color: #2563eb; }
header button { background: #323f4b; color: #f5f7fa; border-color: #52606d; }
main { display: grid; grid-template-columns: 330px minmax(0, 1fr) 340px; gap: 8px; padding: 8px 8px 0; min-height: 0; }
section.panel { background: #ffffff; border: 1px solid #d9e2ec; border-radius: 8px; display: flex; flex-direction: column; min-height: 0; overflow: hidden; }
section.panel > h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #52606d; margin: 0; padding: 8px 12px; border-bottom: 1px solid #e4e7eb; display: flex; gap: 8px; align-items: center; }
section.panel > h2 .sub { text-transform: none; letter-spacing: 0; color: #7b8794; font-weight: 400; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.scroll { overflow: auto; flex: 1; min-height: 0; }
#tree { padding: 4px 0; }
.tree-row { display: flex; flex-direction: column; gap: 2px; padding: 5px 10px; border-left: 3px solid transparent; cursor: pointer; }
.tree-row:hover { background: #f5f7fa; } .tree-row.selected { background: #eaf1ff; border-left-color: #2563eb; }
.tree-row .top { display: flex; flex-wrap: wrap; gap: 2px 6px; align-items: baseline; min-width: 0; }
.tree-row .name { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tree-row .kind { font-size: 11px; color: #7b8794; }
.tree-row .value { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; color: #1d4ed8; margin-left: auto; min-width: 0; overflow-wrap: anywhere; text-align: right; }
.tree-row .meta { display: flex; flex-wrap: wrap; gap: 4px; font-size: 11px; }
.chip { padding: 0 6px; border-radius: 8px; background: #e4e7eb; color: #323f4b; white-space: nowrap; }
.chip.working, .chip.awaiting_human { background: #dbeafe; color: #1e40af; }
.chip.breaker-open { background: #fee2e2; color: #b91c1c; } .chip.breaker-half_open { background: #fef3c7; color: #92400e; }
.chip.breaker-closed { background: #dcfce7; color: #166534; }
.chip.restarts { background: #ffedd5; color: #9a3412; font-weight: 600; }
.chip.escalated { background: #b91c1c; color: #fff; font-weight: 700; }
.chip.task { font-family: ui-monospace, monospace; }
#chart { position: relative; cursor: grab; }
#chart.panning { cursor: grabbing; user-select: none; }
#chart svg { display: block; margin: 12px auto; }
section.panel > h2 .zoom { margin-left: auto; display: flex; gap: 4px; }
section.panel > h2 .zoom button { padding: 0 8px; text-transform: none; }
section.panel > h2 .crash { text-transform: none; letter-spacing: 0; font-weight: 600; color: #b91c1c; background: #fee2e2; border-radius: 8px; padding: 0 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
header #notice { font-size: 12px; background: #b91c1c; color: #fff; padding: 2px 8px; border-radius: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 50vw; }
.empty { color: #7b8794; padding: 24px; text-align: center; }
#details { padding: 10px 12px; font-size: 12px; }
section.panel > h2 .tab { padding: 0 8px; font-size: 11px; text-transform: none; }
#sequence { padding: 8px; font-size: 11px; }
.seq-task { font-family: ui-monospace, monospace; color: #52606d; margin-bottom: 6px; }
.seq-grid { display: grid; gap: 3px 0; background: repeating-linear-gradient(90deg, transparent 0, transparent calc(50% - 0.5px), #cbd2d9 calc(50% - 0.5px), #cbd2d9 calc(50% + 0.5px), transparent calc(50% + 0.5px)); }
.seq-head { font-weight: 600; text-align: center; background: #f5f7fa; border: 1px solid #d9e2ec; border-radius: 4px; margin: 0 2px 4px; padding: 2px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.seq-msg { position: relative; margin: 0 calc(100% / 2 / var(--span, 1)); border-bottom: 2px solid #1d4ed8; cursor: pointer; text-align: center; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; font-family: ui-monospace, monospace; }
.seq-msg::after { content: "▶"; position: absolute; right: -3px; bottom: -7px; font-size: 9px; color: #1d4ed8; }
.seq-msg.leftward::after { content: "◀"; right: auto; left: -3px; }
.seq-msg.self { border-bottom-style: dashed; margin: 0 15%; }
.seq-msg.note { margin: 0 4%; border: 1px solid #f5d48a; background: #fffbeb; border-radius: 3px; color: #92400e; }
.seq-msg.note::after { content: none; } .seq-msg.note.current { background: #fde68a; } .seq-msg.self::after { content: "↺"; }
.seq-msg:hover { background: #f5f7fa; } .seq-msg.current { background: #fff7e6; } .seq-msg.future { opacity: .45; }
#details h3 { font-size: 12px; margin: 10px 0 4px; color: #52606d; }
#details pre { margin: 0; padding: 8px; background: #f5f7fa; border-radius: 6px; overflow: auto; max-height: 260px; font-size: 11px; white-space: pre-wrap; word-break: break-word; }
.diff-row { font-family: ui-monospace, monospace; font-size: 11px; padding: 2px 0; border-bottom: 1px dashed #e4e7eb; word-break: break-word; }
.diff-row .path { font-weight: 700; } .diff-row .was { color: #b91c1c; } .diff-row .now { color: #047857; }
#timeline-panel { margin: 8px 8px 0; }
.filters { display: flex; gap: 8px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #e4e7eb; font-size: 12px; }
.filters input[type=text], .filters select { font: inherit; font-size: 12px; padding: 3px 6px; border: 1px solid #cbd2d9; border-radius: 4px; }
.filters .count { margin-left: auto; color: #7b8794; }
#timeline { position: relative; }
.tl-row { position: absolute; left: 0; right: 0; height: 22px; display: grid; grid-template-columns: 64px 92px 70px 230px minmax(0, 1fr); gap: 8px; align-items: center; padding: 0 10px; font-size: 12px; cursor: pointer; white-space: nowrap; }
.tl-row > span { overflow: hidden; text-overflow: ellipsis; }
.tl-row:hover { background: #f5f7fa; } .tl-row.current { background: #fff7e6; box-shadow: inset 3px 0 0 #f59e0b; } .tl-row.future { color: #9aa5b1; }
.tl-row .seq, .tl-row .time { font-family: ui-monospace, monospace; color: #7b8794; font-size: 11px; }
.tl-row .type { font-family: ui-monospace, monospace; }
.tl-row.diverged { background: #fee2e2; color: #991b1b; box-shadow: inset 3px 0 0 #dc2626; font-weight: 600; }
.tl-row.diverged.current { background: #fecaca; }
header #replay-result { background: #047857; border-color: #047857; cursor: default; }
header #replay-result.diverged { background: #b91c1c; border-color: #b91c1c; cursor: pointer; font-weight: 600; }
#details .divergence { border: 1px solid #fca5a5; background: #fef2f2; border-radius: 6px; padding: 0 8px 8px; margin-bottom: 8px; }
#details .divergence h3 { color: #b91c1c; } #details .divergence pre { background: #ffffff; }
#details .divergence summary { cursor: pointer; font-size: 11px; color: #52606d; margin-top: 6px; }
#details .replay-here { border: 1px solid #d9e2ec; border-radius: 6px; padding: 0 8px 8px; margin-bottom: 8px; }
#details .command { display: flex; gap: 6px; align-items: flex-start; margin-top: 6px; }
#details .command code { flex: 1; min-width: 0; font-size: 11px; background: #f5f7fa; border-radius: 4px; padding: 4px 6px; white-space: pre-wrap; word-break: break-all; }
#details .hint { font-size: 11px; color: #7b8794; margin-top: 2px; }
.k-runtime { color: #047857; } .k-io { color: #b91c1c; } .k-event { color: #1d4ed8; } .k-llm { color: #6d28d9; } .k-approval { color: #b45309; }
footer { display: flex; align-items: center; gap: 8px; padding: 0 12px; background: #ffffff; border-top: 1px solid #d9e2ec; margin-top: 8px; }
footer input[type=range] { flex: 1; }
footer #position { font-family: ui-monospace, monospace; font-size: 12px; min-width: 170px; text-align: right; color: #323f4b; }
${CHART_CSS}
`;

export const inspectPageHtml = (title: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Troupe inspector · ${title.replace(/[<>&"]/g, "")}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
  <h1>Troupe · statecharts</h1><span id="mode" class="badge">…</span><span id="status">connecting…</span><span id="notice" hidden></span>
  <button id="replay-result" hidden title="The replay's outcome"></button>
  <span class="spacer"></span>
  <button id="copy-link" title="Copy a link to this point of the run">Copy link</button>
  <button id="export-svg" title="Download the chart as SVG">Export SVG</button>
</header>
<main>
  <section class="panel" id="tree-panel"><h2>Supervision <span class="sub" id="tree-summary"></span></h2><div class="scroll" id="tree"></div></section>
  <section class="panel" id="chart-panel"><h2>Statechart <span class="sub" id="chart-title"></span><span class="crash" id="chart-crash" hidden></span><span class="zoom"><button id="zoom-out" title="Zoom out (or Ctrl + wheel)">−</button><button id="zoom-fit" title="Fit the chart to the panel">fit</button><button id="zoom-in" title="Zoom in (or Ctrl + wheel)">+</button></span></h2><div class="scroll" id="chart"><div class="empty">Select an actor in the tree.</div></div></section>
  <section class="panel" id="details-panel"><h2><button id="show-details" class="tab on">Details</button><button id="show-sequence" class="tab" title="The messages of the task at this point">Sequence</button> <span class="sub" id="details-title"></span></h2><div class="scroll" id="details"><div class="empty">Click an event in the timeline.</div></div><div class="scroll" id="sequence" hidden></div></section>
</main>
<section class="panel" id="timeline-panel">
  <div class="filters">
    <label>Actor <select id="filter-actor"><option value="">all</option></select></label>
    <label>Task <input type="text" id="filter-task" placeholder="task id" size="16"></label>
    <label>Type <input type="text" id="filter-type" placeholder="e.g. task. or troupe.task" size="18"></label>
    <label><input type="checkbox" id="hide-xstate" checked> hide xstate.*</label>
    <span class="count" id="timeline-count"></span>
  </div>
  <div class="scroll" id="timeline-scroll"><div id="timeline"></div></div>
</section>
<footer>
  <button id="first" title="First record">|◀</button><button id="prev" title="Previous event">◀</button>
  <input type="range" id="scrub" min="0" max="0" value="0" aria-label="Position in the run">
  <button id="next" title="Next event">▶</button><button id="last" title="Last record">▶|</button>
  <button id="follow" class="on" title="Follow new records">Live</button>
  <span id="position">—</span>
</footer>
<script type="module" src="/inspect/page.js"></script>
</body>
</html>
`;
