// Lays a machine graph out with elkjs (layered, hierarchy included, so transitions between nested
// states are routed across compound boundaries) and turns ELK's nested, relative result into
// absolute boxes and SVG paths. Runs in the layout worker; pure apart from the ELK instance given.
import type { MachineGraph, StateNodeGraph, TransitionGraph } from "@troupe/runtime/inspect/graph";
import { CHART_TEXT, type ChartEdge, type ChartLayout, type ChartNode } from "./ChartLayout.ts";

/** The slice of elkjs's API this file uses (so the worker can pass the bundled ELK). */
export interface ElkLike {
  layout(graph: ElkGraph): Promise<ElkGraph>;
}

interface ElkLabel {
  text?: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
}

interface ElkSection {
  startPoint: { x: number; y: number };
  endPoint: { x: number; y: number };
  bendPoints?: { x: number; y: number }[];
}

interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabel[];
  sections?: ElkSection[];
  container?: string;
}

export interface ElkGraph {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  layoutOptions?: Record<string, string>;
  labels?: ElkLabel[];
  children?: ElkGraph[];
  edges?: ElkEdge[];
}

const MAX_LABEL_CHARS = 56;

const textWidth = (text: string) => Math.ceil(text.length * CHART_TEXT.charWidth);

const clip = (text: string) =>
  text.length > MAX_LABEL_CHARS ? `${text.slice(0, MAX_LABEL_CHARS - 1)}…` : text;

/** "event [guard] / action, action" */
export const transitionLabel = (transition: TransitionGraph): string =>
  clip(
    `${transition.label}${transition.guard ? ` [${transition.guard}]` : ""}${
      transition.actions.length > 0 ? ` / ${transition.actions.join(", ")}` : ""
    }`,
  );

const linesOf = (node: StateNodeGraph): string[] => [
  ...(node.entry.length > 0 ? [clip(`entry / ${node.entry.join(", ")}`)] : []),
  ...(node.exit.length > 0 ? [clip(`exit / ${node.exit.join(", ")}`)] : []),
  ...node.invoke.map((invoke) =>
    clip(`invoke ${invoke.src}${invoke.id !== invoke.src ? ` (${invoke.id})` : ""}`),
  ),
  ...node.transitions.filter((transition) => transition.targets.length === 0).map(transitionLabel),
];

const initialId = (id: string) => `${id}::initial`;

const LAYOUT_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.layered.spacing.nodeNodeBetweenLayers": "48",
  "elk.spacing.nodeNode": "36",
  "elk.spacing.edgeNode": "18",
  "elk.spacing.edgeEdge": "14",
  "elk.spacing.edgeLabel": "4",
  "elk.edgeLabels.inline": "false",
  "elk.layered.edgeLabels.sideSelection": "ALWAYS_DOWN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
};

/** The ELK input for a graph, and what layoutChart needs to read its output back. */
export const toElkGraph = (graph: MachineGraph): { elk: ElkGraph; meta: Map<string, StateNodeGraph> } => {
  const meta = new Map<string, StateNodeGraph>();
  const edges: ElkEdge[] = [];
  const build = (node: StateNodeGraph): ElkGraph => {
    meta.set(node.id, node);
    const lines = linesOf(node);
    const linesWidth = Math.max(0, ...lines.map(textWidth));
    const nameWidth = Math.ceil(node.key.length * (CHART_TEXT.charWidth + 1.2));
    const width = Math.max(92, nameWidth, linesWidth) + 2 * CHART_TEXT.padding;
    const headerHeight = CHART_TEXT.headerHeight + lines.length * CHART_TEXT.lineHeight;
    node.transitions.forEach((transition, index) => {
      transition.targets.forEach((target, targetIndex) => {
        const label = transitionLabel(transition);
        edges.push({
          id: `${node.id}::t${index}::${targetIndex}`,
          sources: [node.id],
          targets: [target],
          labels: [{ text: label, width: textWidth(label) + 8, height: 16 }],
        });
      });
    });
    if (node.type === "history") {
      return { id: node.id, width: 30, height: 30 };
    }
    if (node.states.length === 0) {
      return { id: node.id, width, height: headerHeight + (lines.length > 0 ? 8 : 4) };
    }
    const children = node.states.map(build);
    if (node.initial) {
      children.unshift({ id: initialId(node.id), width: 12, height: 12 });
      edges.push({
        id: `${initialId(node.id)}::edge`,
        sources: [initialId(node.id)],
        targets: [node.initial],
      });
    }
    return {
      id: node.id,
      children,
      layoutOptions: {
        "elk.padding": `[top=${headerHeight + 14},left=${CHART_TEXT.padding + 8},bottom=${CHART_TEXT.padding + 8},right=${CHART_TEXT.padding + 8}]`,
        // Parallel regions side by side, like a statechart draws them.
        ...(node.type === "parallel" ? { "elk.direction": "RIGHT" } : {}),
      },
      // ELK grows a compound node to fit its children; this keeps the header readable.
      width,
      height: headerHeight,
    };
  };
  const root = build(graph.root);
  return {
    elk: { id: "::chart", layoutOptions: LAYOUT_OPTIONS, children: [root], edges },
    meta,
  };
};

const pathOf = (sections: readonly ElkSection[], dx: number, dy: number): string =>
  sections
    .map((section) => {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      return points
        .map((point, index) => `${index === 0 ? "M" : "L"}${point.x + dx} ${point.y + dy}`)
        .join(" ");
    })
    .join(" ");

/** How far a self-loop bulges out of its state. */
const LOOP_REACH = 40;

/**
 * A transition from a state to itself: ELK leaves a short stub beside the state; it becomes a
 * loop bulging out the way the stub points, its label just beyond the loop.
 */
const selfLoop = (
  section: ElkSection | undefined,
  dx: number,
  dy: number,
  labelWidth: number,
): { path: string; labelX: number; labelY: number } | undefined => {
  if (!section) return undefined;
  const start = { x: section.startPoint.x + dx, y: section.startPoint.y + dy };
  const end = { x: section.endPoint.x + dx, y: section.endPoint.y + dy };
  const bend = section.bendPoints?.[0];
  const outX = bend ? bend.x + dx - start.x : -1;
  const outY = bend ? bend.y + dy - start.y : 0;
  const length = Math.hypot(outX, outY) || 1;
  const out = { x: (outX / length) * LOOP_REACH, y: (outY / length) * LOOP_REACH };
  // The loop's ends pulled apart along the state's side, so it opens into a loop, not a stub.
  const gap = Math.hypot(start.x - end.x, start.y - end.y) || 1;
  const wide = Math.max(gap * 0.8, LOOP_REACH / 2) / gap;
  const spread = { x: (start.x - end.x) * wide, y: (start.y - end.y) * wide };
  const round = (value: number) => Math.round(value * 10) / 10;
  const path = `M${round(start.x)} ${round(start.y)} C${round(start.x + out.x + spread.x)} ${round(start.y + out.y + spread.y)} ${round(end.x + out.x - spread.x)} ${round(end.y + out.y - spread.y)} ${round(end.x)} ${round(end.y)}`;
  const tip = { x: (start.x + end.x) / 2 + out.x * 0.75, y: (start.y + end.y) / 2 + out.y * 0.75 };
  const sideways = Math.abs(out.x) >= Math.abs(out.y);
  return {
    path,
    labelX: round(sideways ? (out.x < 0 ? tip.x - 4 - labelWidth : tip.x + 4) : tip.x - labelWidth / 2),
    labelY: round(sideways ? tip.y - 8 : out.y < 0 ? tip.y - 20 : tip.y + 4),
  };
};

/** Lay a graph out; `hash` is carried into the result (it names the layout in caches). */
export const layoutChart = async (elk: ElkLike, graph: MachineGraph, hash: string): Promise<ChartLayout> => {
  const { elk: input, meta } = toElkGraph(graph);
  const output = await elk.layout(input);
  const nodes: ChartNode[] = [];
  const offsets = new Map<string, { x: number; y: number }>([[output.id, { x: 0, y: 0 }]]);
  const visit = (node: ElkGraph, parentX: number, parentY: number, depth: number) => {
    const x = parentX + (node.x ?? 0);
    const y = parentY + (node.y ?? 0);
    offsets.set(node.id, { x, y });
    const state = meta.get(node.id);
    if (state) {
      nodes.push({
        id: state.id,
        kind: "state",
        type: state.type,
        key: state.key,
        badge: state.type === "history" ? (state.history === "deep" ? "H*" : "H") : null,
        x,
        y,
        width: node.width ?? 0,
        height: node.height ?? 0,
        lines: linesOf(state),
        depth,
      });
    } else {
      nodes.push({
        id: node.id,
        kind: "initial",
        type: "atomic",
        key: "",
        badge: null,
        x,
        y,
        width: node.width ?? 0,
        height: node.height ?? 0,
        lines: [],
        depth,
      });
    }
    for (const child of node.children ?? []) visit(child, x, y, depth + 1);
  };
  for (const child of output.children ?? []) visit(child, 0, 0, 0);

  const transitions = new Map<string, TransitionGraph>();
  for (const state of meta.values()) {
    state.transitions.forEach((transition, index) => {
      transition.targets.forEach((_target, targetIndex) => {
        transitions.set(`${state.id}::t${index}::${targetIndex}`, transition);
      });
    });
  }
  const edges: ChartEdge[] = [];
  const collect = (container: ElkGraph) => {
    for (const edge of container.edges ?? []) {
      // ELK reports each edge in the coordinates of its container (`container`, or where it sits).
      const origin = offsets.get(edge.container ?? container.id) ?? { x: 0, y: 0 };
      const transition = transitions.get(edge.id);
      const label = edge.labels?.[0];
      const source = edge.sources[0]!;
      const loop =
        source === edge.targets[0]
          ? selfLoop(edge.sections?.[0], origin.x, origin.y, label?.width ?? 0)
          : undefined;
      edges.push({
        id: edge.id,
        source,
        target: edge.targets[0]!,
        kind: transition ? transition.kind : "initial",
        eventType: transition ? transition.eventType : "",
        label: label?.text ?? "",
        path: loop?.path ?? pathOf(edge.sections ?? [], origin.x, origin.y),
        labelX: loop?.labelX ?? (label?.x ?? 0) + origin.x,
        labelY: loop?.labelY ?? (label?.y ?? 0) + origin.y,
        labelWidth: label?.width ?? 0,
      });
    }
    for (const child of container.children ?? []) collect(child);
  };
  collect(output);
  return {
    hash,
    machine: graph.machine,
    width: Math.ceil(output.width ?? 0),
    height: Math.ceil(output.height ?? 0),
    nodes,
    edges,
  };
};
