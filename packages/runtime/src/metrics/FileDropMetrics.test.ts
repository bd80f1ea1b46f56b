// The file-drop fallback's metrics: outcomes counted by label, the folder's backlog as a gauge, and a
// second hook on the same registry (a restarted surface) reusing the metrics instead of failing.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createFileDropMetrics } from "./FileDropMetrics.ts";

describe("createFileDropMetrics", () => {
  it("counts outcomes and shows what waits in the folder", async () => {
    const registry = new Registry();
    const metrics = createFileDropMetrics({ registry });
    metrics.outcome("spooled");
    metrics.outcome("spooled");
    metrics.pending(2);
    const again = createFileDropMetrics({ registry });
    again.outcome("replayed");
    again.pending(1);
    const text = await registry.metrics();
    expect(text).toContain('troupe_surface_fallback_operations_total{outcome="spooled"} 2');
    expect(text).toContain('troupe_surface_fallback_operations_total{outcome="replayed"} 1');
    expect(text).toContain("troupe_surface_fallback_pending 1");
  });
});
