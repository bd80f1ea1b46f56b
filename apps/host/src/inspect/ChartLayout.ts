// The statechart of one machine as laid out for drawing: absolute boxes for every state node and
// routed paths for every transition. The server computes it once per machine hash (elkjs, in a
// worker thread) and the page only draws it; a live update never lays anything out again.
import type { StateNodeType, TransitionKind } from "@troupe/runtime/inspect/graph";

export interface ChartNode {
  /** The state node id, or `<parent id>::initial` for the initial-state dot of a compound state. */
  readonly id: string;
  readonly kind: "state" | "initial";
  readonly type: StateNodeType;
  readonly key: string;
  /** "H" or "H*" for history states. */
  readonly badge: string | null;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Lines drawn under the name: entry/exit actions, invocations, transitions without a target. */
  readonly lines: readonly string[];
  /** How deep the node sits (0 for the machine's root). */
  readonly depth: number;
}

export interface ChartEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly kind: TransitionKind | "initial";
  readonly eventType: string;
  readonly label: string;
  /** SVG path data in the chart's coordinates. */
  readonly path: string;
  readonly labelX: number;
  readonly labelY: number;
  readonly labelWidth: number;
}

export interface ChartLayout {
  readonly hash: string;
  readonly machine: string;
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly ChartNode[];
  readonly edges: readonly ChartEdge[];
}

/** Geometry the page and the layout agree on (text is measured by character count). */
export const CHART_TEXT = {
  /** Width of one character of the 11px monospace label font. */
  charWidth: 6.7,
  lineHeight: 14,
  headerHeight: 26,
  padding: 10,
} as const;
