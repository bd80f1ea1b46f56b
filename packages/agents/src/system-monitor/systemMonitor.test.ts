// The system monitor reports the host and the team, and warns about what crosses a threshold.
import type { Team } from "@troupe/runtime";
import { createTestTeam, scriptedAgent } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { formatBytes, formatReport } from "./formatReport.ts";
import type { HostProbe } from "./hostProbe.ts";
import { createSystemMonitor, type SystemReport, systemMonitor } from "./systemMonitor.ts";

const GiB = 1024 ** 3;

/** A machine with 4 CPUs, 16 GiB of memory and a 100 GiB disk, loaded as the test says. */
const fakeProbe = (load: { one: number; memoryFree: number; diskFree: number }): HostProbe => ({
  loadavg: () => [load.one, 0.5, 0.25],
  cpuCount: () => 4,
  totalmem: () => 16 * GiB,
  freemem: () => load.memoryFree,
  statfs: async () => ({ bsize: 4096, blocks: (100 * GiB) / 4096, bavail: load.diskFree / 4096 }),
});

const calm = fakeProbe({ one: 1, memoryFree: 12 * GiB, diskFree: 80 * GiB });

describe("system-monitor", () => {
  it("reports this machine's load, memory and disk", async () => {
    const { team } = createTestTeam({ agents: [systemMonitor] });
    const report = await team.ask(systemMonitor, "how is the box?").result;
    expect(report.load.cpus).toBeGreaterThanOrEqual(1);
    expect(report.memory.totalBytes).toBeGreaterThan(0);
    expect(report.memory.usedRatio).toBeGreaterThanOrEqual(0);
    expect(report.memory.usedRatio).toBeLessThanOrEqual(1);
    expect(report.disk?.path).toBe("/");
    expect(report.disk?.totalBytes).toBeGreaterThan(0);
    expect(report.runtime).toBeNull();
    expect(Array.isArray(report.warnings)).toBe(true);
    team.stop();
  });

  it("is quiet when nothing crosses a threshold", async () => {
    const monitor = createSystemMonitor({ probe: calm });
    const { team } = createTestTeam({ agents: [monitor] });
    const report = await team.ask(monitor, "").result;
    expect(report.warnings).toEqual([]);
    expect(report.load).toEqual({ one: 1, five: 0.5, fifteen: 0.25, cpus: 4 });
    expect(report.memory.usedBytes).toBe(4 * GiB);
    expect(report.disk?.usedRatio).toBeCloseTo(0.2);
    team.stop();
  });

  it("warns about high load, memory and disk use", async () => {
    const busy = fakeProbe({ one: 8, memoryFree: 1 * GiB, diskFree: 5 * GiB });
    const monitor = createSystemMonitor({ probe: busy, diskPath: "/data" });
    const { team } = createTestTeam({ agents: [monitor] });
    const { warnings } = await team.ask(monitor, "").result;
    expect(warnings).toEqual([
      "load 2.00 per CPU over the last minute is above 1.00",
      "memory 94% used is at or above 90%",
      "disk /data 95% used is at or above 90%",
    ]);
    team.stop();
  });

  it("says when the disk cannot be read", async () => {
    const monitor = createSystemMonitor({ diskPath: "/no/such/path/for/troupe" });
    const { team } = createTestTeam({ agents: [monitor] });
    const report = await team.ask(monitor, "").result;
    expect(report.disk).toBeNull();
    expect(
      report.warnings.some((warning) =>
        warning.startsWith("disk /no/such/path/for/troupe could not be read:"),
      ),
    ).toBe(true);
    team.stop();
  });

  it("reports the team's open breakers and queue depth", async () => {
    let team: Team | undefined;
    const flaky = scriptedAgent("flaky", [{ fail: "down" }], { breaker: { maxFailures: 1 } });
    const monitor = createSystemMonitor({ probe: calm, status: () => team!.status() });
    const test = createTestTeam({ agents: [flaky, monitor] });
    team = test.team;

    await expect(team.ask(flaky, "try").result).rejects.toThrow(/down/);
    await test.next("breaker.changed", (event) => event.agent === "flaky" && event.to === "open");
    const report = await team.ask(monitor, "status").result;

    expect(report.runtime).toEqual({
      agents: 2,
      openBreakers: ["flaky"],
      halfOpenBreakers: [],
      queued: 0,
      inFlight: 1, // the monitor itself
      deepestQueue: null,
      accepting: true,
      escalated: false,
    });
    expect(report.warnings).toEqual(["circuit breaker open for flaky"]);
    team.stop();
  });

  it("refuses thresholds that make no sense when declared", () => {
    expect(() => createSystemMonitor({ thresholds: { memoryUsed: 90 } })).toThrow(
      "system-monitor thresholds.memoryUsed must be a share between 0 and 1, got 90",
    );
    expect(() => createSystemMonitor({ thresholds: { queueDepth: -1 } })).toThrow(/thresholds\.queueDepth/);
  });
});

describe("formatReport", () => {
  const report: SystemReport = {
    load: { one: 0.5, five: 0.25, fifteen: 0.125, cpus: 4 },
    memory: { totalBytes: 16 * GiB, freeBytes: 12 * GiB, usedBytes: 4 * GiB, usedRatio: 0.25 },
    disk: { path: "/", totalBytes: 100 * GiB, freeBytes: 80 * GiB, usedBytes: 20 * GiB, usedRatio: 0.2 },
    runtime: {
      agents: 2,
      openBreakers: ["flaky"],
      halfOpenBreakers: [],
      queued: 3,
      inFlight: 1,
      deepestQueue: { agent: "flaky", depth: 3 },
      accepting: true,
      escalated: false,
    },
    warnings: ["circuit breaker open for flaky"],
  };

  it("gives one line per part, then the warnings", () => {
    expect(formatReport(report).split("\n")).toEqual([
      "load      0.50 0.25 0.13 (1/5/15 min) on 4 CPUs",
      "memory    4.0 GiB used of 16.0 GiB (25%)",
      "disk      /: 20.0 GiB used of 100.0 GiB (20%)",
      "runtime   2 agents, accepting, 3 queued, 1 in flight; open: flaky",
      "⚠ circuit breaker open for flaky",
    ]);
  });

  it("says when all is well and what is missing", () => {
    const text = formatReport({ ...report, disk: null, runtime: null, warnings: [] });
    expect(text).toContain("disk      unavailable");
    expect(text).not.toContain("runtime");
    expect(text.endsWith("warnings  none")).toBe(true);
  });

  it("formats sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * GiB)).toBe("3.0 GiB");
  });
});
