/// <reference lib="dom" />
// Zoom and pan on the statechart panel: − / fit / + buttons and Ctrl + wheel zoom (about the
// pointer), dragging pans. The chart opens fitted to the panel's width (never enlarged); a zoom
// chosen by hand is kept while stepping through the run.
const MIN_SCALE = 0.1;
const MAX_SCALE = 4;
const STEP = 1.25;

export interface ChartZoom {
  /** Size the chart just placed in the panel (its natural size is its viewBox). */
  fitShown(): void;
}

export const createChartZoom = (
  panel: HTMLElement,
  buttons: { zoomIn: HTMLElement; zoomOut: HTMLElement; fit: HTMLElement },
): ChartZoom => {
  let chosen: number | null = null; // null: fit to the panel

  const svgOf = () => panel.querySelector<SVGSVGElement>("svg.chart");
  const naturalSize = (svg: SVGSVGElement) => ({
    width: svg.viewBox.baseVal.width,
    height: svg.viewBox.baseVal.height,
  });
  const fitScale = (svg: SVGSVGElement) => Math.min(1, (panel.clientWidth - 24) / naturalSize(svg).width);
  const current = (svg: SVGSVGElement) => chosen ?? fitScale(svg);

  const apply = (svg: SVGSVGElement, scale: number) => {
    const { width, height } = naturalSize(svg);
    svg.style.width = `${width * scale}px`;
    svg.style.height = `${height * scale}px`;
    panel.dataset.zoom = scale.toFixed(3);
  };

  /** Zoom by `factor`, keeping the chart point under (x, y) (panel coordinates) where it was. */
  const zoomBy = (factor: number, x = panel.clientWidth / 2, y = panel.clientHeight / 2) => {
    const svg = svgOf();
    if (!svg) return;
    const before = current(svg);
    const after = Math.min(MAX_SCALE, Math.max(MIN_SCALE, before * factor));
    const pointX = (panel.scrollLeft + x) / before;
    const pointY = (panel.scrollTop + y) / before;
    chosen = after;
    apply(svg, after);
    panel.scrollLeft = pointX * after - x;
    panel.scrollTop = pointY * after - y;
  };

  buttons.zoomIn.addEventListener("click", () => zoomBy(STEP));
  buttons.zoomOut.addEventListener("click", () => zoomBy(1 / STEP));
  buttons.fit.addEventListener("click", () => {
    chosen = null;
    const svg = svgOf();
    if (svg) apply(svg, fitScale(svg));
  });
  panel.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey) return; // a plain wheel scrolls
      event.preventDefault();
      const box = panel.getBoundingClientRect();
      zoomBy(event.deltaY < 0 ? STEP : 1 / STEP, event.clientX - box.left, event.clientY - box.top);
    },
    { passive: false },
  );

  let drag: { x: number; y: number; left: number; top: number } | null = null;
  panel.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !svgOf()) return;
    drag = { x: event.clientX, y: event.clientY, left: panel.scrollLeft, top: panel.scrollTop };
    panel.setPointerCapture(event.pointerId);
    panel.classList.add("panning");
  });
  panel.addEventListener("pointermove", (event) => {
    if (!drag) return;
    panel.scrollLeft = drag.left - (event.clientX - drag.x);
    panel.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const endDrag = () => {
    drag = null;
    panel.classList.remove("panning");
  };
  panel.addEventListener("pointerup", endDrag);
  panel.addEventListener("pointercancel", endDrag);

  return {
    fitShown() {
      const svg = svgOf();
      if (svg) apply(svg, current(svg));
    },
  };
};
