/// <reference lib="dom" />
// Draws a laid-out statechart as plain SVG, once per machine; after that a live update only
// toggles classes: `active` on the states of the current configuration, `flash` on the transition
// just taken. Exports the drawing as a standalone SVG file.
import type { ChartEdge, ChartLayout, ChartNode } from "../ChartLayout.ts";
import { CHART_TEXT } from "../ChartLayout.ts";

const SVG = "http://www.w3.org/2000/svg";

const element = <K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] => {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  parent?.appendChild(node);
  return node;
};

const text = (content: string, attributes: Record<string, string | number>, parent: Element) => {
  const node = element("text", attributes, parent);
  node.textContent = content;
  return node;
};

const drawNode = (node: ChartNode, parent: Element) => {
  if (node.kind === "initial") {
    element(
      "circle",
      { class: "initial", cx: node.x + node.width / 2, cy: node.y + node.height / 2, r: 5 },
      parent,
    );
    return;
  }
  const group = element("g", { class: `state ${node.type}`, "data-id": node.id }, parent);
  element("title", {}, group).textContent = node.id;
  if (node.type === "history") {
    element(
      "circle",
      { cx: node.x + node.width / 2, cy: node.y + node.height / 2, r: node.width / 2 },
      group,
    );
    text(
      node.badge ?? "H",
      { class: "name", x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, "text-anchor": "middle" },
      group,
    );
    return;
  }
  element("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: 8 }, group);
  if (node.type === "final") {
    element(
      "rect",
      { class: "inner", x: node.x + 3, y: node.y + 3, width: node.width - 6, height: node.height - 6, rx: 6 },
      group,
    );
  }
  text(node.key, { class: "name", x: node.x + CHART_TEXT.padding, y: node.y + 17 }, group);
  node.lines.forEach((line, index) => {
    text(
      line,
      { class: "line", x: node.x + CHART_TEXT.padding, y: node.y + 17 + (index + 1) * CHART_TEXT.lineHeight },
      group,
    );
  });
};

const drawEdge = (edge: ChartEdge, parent: Element) => {
  const group = element(
    "g",
    {
      class: `edge kind-${edge.kind}`,
      "data-source": edge.source,
      "data-target": edge.target,
      "data-event": edge.eventType,
    },
    parent,
  );
  element("path", { d: edge.path, "marker-end": "url(#arrow)" }, group);
  if (edge.label !== "") {
    element(
      "rect",
      { class: "label-bg", x: edge.labelX, y: edge.labelY, width: edge.labelWidth, height: 16, rx: 3 },
      group,
    );
    text(edge.label, { x: edge.labelX + 4, y: edge.labelY + 12 }, group);
  }
};

export interface ChartView {
  readonly svg: SVGSVGElement;
  readonly layout: ChartLayout;
  /** Mark these state ids active (and only these). */
  setActive(ids: readonly string[]): void;
  /** Flash the transitions of one microstep. */
  flash(transitions: readonly Transition[]): void;
  /** Mark, until marked otherwise, the transitions that ended the previous incarnation (a crash). */
  markCrash(transitions: readonly Transition[]): void;
}

type Transition = { source: string; targets: readonly string[]; eventType?: string };

export const drawChart = (layout: ChartLayout): ChartView => {
  const svg = element("svg", {
    class: "chart",
    xmlns: SVG,
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    "data-hash": layout.hash,
  });
  const defs = element("defs", {}, svg);
  const marker = element(
    "marker",
    {
      id: "arrow",
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 8,
      markerHeight: 8,
      markerUnits: "userSpaceOnUse",
      orient: "auto-start-reverse",
    },
    defs,
  );
  element("path", { d: "M0 0 L10 5 L0 10 z", fill: "#7b8794" }, marker);
  const nodesLayer = element("g", { class: "nodes" }, svg);
  const edgesLayer = element("g", { class: "edges" }, svg);
  // Parents before children, so nested states draw on top of their parents.
  for (const node of [...layout.nodes].sort((a, b) => a.depth - b.depth)) drawNode(node, nodesLayer);
  for (const edge of layout.edges) drawEdge(edge, edgesLayer);

  const states = new Map<string, SVGGElement>();
  for (const group of svg.querySelectorAll<SVGGElement>("g.state")) states.set(group.dataset.id!, group);
  const edges = [...svg.querySelectorAll<SVGGElement>("g.edge")];
  let active = new Set<string>();
  const flashing = new Set<Element>();
  let flashTimer: ReturnType<typeof setTimeout> | undefined;

  /** The edges (or, for a transition without targets, the state) a microstep's transitions drew. */
  const elementsOf = (transitions: readonly Transition[]): Element[] => {
    const found: Element[] = [];
    for (const transition of transitions) {
      if (transition.targets.length === 0) {
        const state = states.get(transition.source);
        if (state) found.push(state);
        continue;
      }
      for (const edge of edges) {
        const { source, target, event } = edge.dataset;
        if (source !== transition.source || !transition.targets.includes(target!)) continue;
        if (transition.eventType !== undefined && event !== transition.eventType) continue;
        found.push(edge);
      }
    }
    return found;
  };
  let crashed: Element[] = [];

  return {
    svg,
    layout,
    markCrash(transitions) {
      for (const item of crashed) item.classList.remove("crashed");
      crashed = elementsOf(transitions);
      for (const item of crashed) item.classList.add("crashed");
    },
    setActive(ids) {
      const next = new Set(ids);
      for (const id of active) if (!next.has(id)) states.get(id)?.classList.remove("active");
      for (const id of next) if (!active.has(id)) states.get(id)?.classList.add("active");
      active = next;
    },
    flash(transitions) {
      for (const item of flashing) item.classList.remove("flash");
      flashing.clear();
      for (const item of elementsOf(transitions)) flashing.add(item);
      for (const item of flashing) item.classList.add("flash");
      if (flashTimer !== undefined) clearTimeout(flashTimer);
      flashTimer = setTimeout(() => {
        for (const item of flashing) item.classList.remove("flash");
        flashing.clear();
      }, 1_200);
    },
  };
};

/** The chart as a standalone SVG document, its styles inlined. */
export const exportSvg = (svg: SVGSVGElement, css: string): string => {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const style = document.createElementNS(SVG, "style");
  style.textContent = css;
  copy.insertBefore(style, copy.firstChild);
  const background = document.createElementNS(SVG, "rect");
  for (const [key, value] of Object.entries({ width: "100%", height: "100%", fill: "#ffffff" }))
    background.setAttribute(key, value);
  copy.insertBefore(background, style.nextSibling);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
};
