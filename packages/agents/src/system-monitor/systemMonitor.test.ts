// The system monitor reports the host and the team, and raises and resolves alerts with hysteresis;
// whatever it raises, the notifier takes (a property over any disk path, through the file drop).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInspector, EventBus, type Team } from "@troupe/runtime";
import { createFileDropSink, fileNameOf, MemoryOutboxStore, Notifier } from "@troupe/runtime/notify";
import { createTestTeam, scriptedAgent } from "@troupe/runtime/testing";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { formatBytes, formatReport, systemReportFormatters } from "./formatReport.ts";
import type { HostProbe } from "./hostProbe.ts";
import type { SystemReport } from "./SystemReport.ts";
import { type AlertEvent, createSystemMonitor, systemMonitor } from "./systemMonitor.ts";

const GiB = 1024 ** 3;

/** A machine with 4 CPUs, 16 GiB of memory and a 100 GiB disk, loaded as the test says (changeable). */
const fakeProbe = (load: { one: number; memoryFree: number; diskFree: number }): HostProbe => ({
  loadavg: () => [load.one, 0.5, 0.25],
  cpuCount: () => 4,
  totalmem: () => 16 * GiB,
  freemem: () => load.memoryFree,
  statfs: async () => ({ bsize: 4096, blocks: (100 * GiB) / 4096, bavail: load.diskFree / 4096 }),
});

const calm = fakeProbe({ one: 1, memoryFree: 12 * GiB, diskFree: 80 * GiB });

describe("system-monitor", () => {
  it("is a chart of its steps: reading the host, reading the team, judging", async () => {
    const inspector = createInspector();
    const monitor = createSystemMonitor({ probe: calm });
    const { team } = createTestTeam({ agents: [monitor], inspect: inspector.inspect });
    await team.ask(monitor, "how is the box?").result;
    team.stop();
    const records = inspector.records();
    const run = records.find((record) => record.kind === "actor" && record.machine === "system-monitor");
    const visited = records.flatMap((record) =>
      record.kind === "snapshot" && run?.kind === "actor" && record.actor === run.actor ? [record.value] : [],
    );
    expect(visited).toEqual(["readingHost", "readingTeam", "done"]);
  });

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
    expect(report.alerts).toEqual([]);
    expect(report.load).toEqual({ one: 1, five: 0.5, fifteen: 0.25, cpus: 4 });
    expect(report.memory.usedBytes).toBe(4 * GiB);
    expect(report.disk?.usedRatio).toBeCloseTo(0.2);
    team.stop();
  });

  it("warns about high load, memory and disk use", async () => {
    const busy = fakeProbe({ one: 8, memoryFree: 1 * GiB, diskFree: 5 * GiB });
    const monitor = createSystemMonitor({ probe: busy, diskPath: "/data" });
    const { team } = createTestTeam({ agents: [monitor] });
    const report = await team.ask(monitor, "").result;
    expect(report.warnings).toEqual([
      "load 2.00 per CPU over the last minute is at or above 1.00",
      "memory 94% used is at or above 90%",
      "disk /data 95% used is at or above 90%",
    ]);
    expect(report.raised).toEqual([
      "system-monitor/load",
      "system-monitor/memory",
      "system-monitor/disk:/data",
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

  it("raises at high and clears only below low (hysteresis), as alert events on the team's bus", async () => {
    const machine = { one: 1, memoryFree: 12 * GiB, diskFree: 80 * GiB };
    const bus = new EventBus();
    const published: unknown[] = [];
    bus.on("alert.raised", (event) => published.push(event));
    bus.on("alert.resolved", (event) => published.push(event));
    const told: AlertEvent[] = [];
    const monitor = createSystemMonitor({
      probe: fakeProbe(machine),
      bus,
      onAlert: (event) => told.push(event),
      thresholds: { diskUsed: { high: 0.9, low: 0.8 } },
    });
    const diskUsed = async (share: number) => {
      machine.diskFree = (1 - share) * 100 * GiB;
      return monitor.check();
    };
    expect((await diskUsed(0.89)).raised).toEqual([]);
    const up = await diskUsed(0.92);
    expect(up.raised).toEqual(["system-monitor/disk:/"]);
    expect(up.alerts).toEqual([
      {
        alertId: "system-monitor/disk:/",
        severity: "warning",
        title: "Disk almost full",
        text: "disk / 92% used is at or above 90%",
      },
    ]);
    // Between low and high: still up, nothing new published.
    const between = await diskUsed(0.85);
    expect(between.raised).toEqual([]);
    expect(between.resolved).toEqual([]);
    expect(between.alerts).toHaveLength(1);
    expect((await diskUsed(0.95)).raised).toEqual([]);
    // Below low: resolved once.
    expect((await diskUsed(0.79)).resolved).toEqual(["system-monitor/disk:/"]);
    expect((await diskUsed(0.5)).resolved).toEqual([]);
    expect(published).toMatchObject([
      {
        type: "alert.raised",
        alertId: "system-monitor/disk:/",
        source: "system-monitor",
        severity: "warning",
      },
      { type: "alert.resolved", alertId: "system-monitor/disk:/", source: "system-monitor" },
    ]);
    expect(told.map((event) => event.type)).toEqual(["alert.raised", "alert.resolved"]);
  });

  it("watches the team: open breakers, missed heartbeats and dead letters, as alerts on the bus", async () => {
    let team: Team | undefined;
    let dead = 0;
    const flaky = scriptedAgent("flaky", [{ fail: "down" }], { breaker: { maxFailures: 1 } });
    const test = createTestTeam({ agents: [flaky] });
    team = test.team;
    const monitor = createSystemMonitor({
      probe: calm,
      status: () => team!.status(),
      bus: team.bus,
      deadLetters: () => dead,
    });

    await expect(team.ask(flaky, "try").result).rejects.toThrow(/down/);
    await test.next("breaker.changed", (event) => event.agent === "flaky" && event.to === "open");
    team.bus.publish({ type: "heartbeat.missed", agent: "flaky", taskId: "t-x", deadlineMs: 1000 });
    dead = 2;
    const report = await monitor.check();
    expect(report.runtime).toEqual({
      agents: 1,
      openBreakers: ["flaky"],
      halfOpenBreakers: [],
      queued: 0,
      inFlight: 0,
      deepestQueue: null,
      accepting: true,
      escalated: false,
      missedHeartbeats: 1,
      deadLetters: 2,
    });
    expect(report.warnings).toEqual([
      "circuit breaker open for flaky",
      "1 missed heartbeat since the last check",
      "2 tasks in the dead letters",
    ]);
    expect(test.seen("alert.raised").map((event) => event.alertId)).toEqual([
      "system-monitor/breakers",
      "system-monitor/heartbeats",
      "system-monitor/dead-letters",
    ]);
    // No more missed heartbeats since that check, the dead letters emptied: those two resolve.
    dead = 0;
    const later = await monitor.check();
    expect(later.resolved).toEqual(["system-monitor/heartbeats", "system-monitor/dead-letters"]);
    expect(test.seen("alert.resolved")).toHaveLength(2);
    team.stop();
  });

  it("raises only ids the notifier takes, and they come back unchanged from the file drop", async () => {
    const dir = await mkdtemp(join(tmpdir(), "troupe-monitor-ids-"));
    try {
      // Any disk path a person may configure, long ones too: every observation is over its line.
      const diskPath = fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.string({ unit: "grapheme", minLength: 900, maxLength: 1_200 }),
      );
      await fc.assert(
        fc.asyncProperty(diskPath, async (path) => {
          const bus = new EventBus();
          const store = new MemoryOutboxStore();
          const notifier = new Notifier({ store, sinks: [createFileDropSink({ dir })], pollEvery: 5 });
          const refused: unknown[] = [];
          const sentIds: string[] = [];
          notifier.observe((event) => {
            if (event.type === "sent") sentIds.push(...event.ids);
          });
          bus.on("alert.raised", (event) => {
            notifier.notify({ ...event }).catch((error: unknown) => refused.push(error));
          });
          await notifier.start();
          const monitor = createSystemMonitor({
            probe: fakeProbe({ one: 8, memoryFree: 1 * GiB, diskFree: 1 * GiB }),
            diskPath: path,
            bus,
          });
          const report = await monitor.check();
          expect(report.raised).toHaveLength(3);
          try {
            await vi.waitFor(
              () => {
                expect(refused).toEqual([]);
                expect(sentIds.sort()).toEqual(report.raised.map((id) => `${id}/file/1`).sort());
              },
              { interval: 5 },
            );
          } finally {
            await notifier.stop();
          }
          for (const alertId of report.raised) {
            expect((await store.alert(alertId))?.alertId).toBe(alertId);
            const file = JSON.parse(await readFile(join(dir, fileNameOf(`${alertId}/file/1`)), "utf8"));
            expect(file.alertId).toBe(alertId);
          }
        }),
        { numRuns: 40 },
      );
      expect(await readdir(dir)).not.toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses thresholds that make no sense when declared", () => {
    expect(() => createSystemMonitor({ thresholds: { memoryUsed: 90 } })).toThrow(
      "system-monitor thresholds.memoryUsed must be a share between 0 and 1, got 90",
    );
    expect(() => createSystemMonitor({ thresholds: { queueDepth: -1 } })).toThrow(/thresholds\.queueDepth/);
    expect(() => createSystemMonitor({ thresholds: { diskUsed: { high: 0.8, low: 0.9 } } })).toThrow(
      "system-monitor thresholds.diskUsed.low (0.9) must not be above its high (0.8)",
    );
    expect(() => createSystemMonitor({ thresholds: { cpu: 1 } as never })).toThrow(/is not a threshold/);
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
      missedHeartbeats: null,
      deadLetters: null,
    },
    warnings: ["circuit breaker open for flaky"],
    alerts: [
      {
        alertId: "system-monitor/breakers",
        severity: "warning",
        title: "Circuit breaker open",
        text: "circuit breaker open for flaky",
      },
    ],
    raised: [],
    resolved: [],
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
    const text = formatReport({ ...report, disk: null, runtime: null, warnings: [], alerts: [] });
    expect(text).toContain("disk      unavailable");
    expect(text).not.toContain("runtime");
    expect(text.endsWith("warnings  none")).toBe(true);
  });

  it("has markdown and a short notification from the same report", () => {
    expect(systemReportFormatters.markdown(report).split("\n")[0]).toBe("**System: 1 alert**");
    expect(systemReportFormatters.markdown(report)).toContain("- ⚠ circuit breaker open for flaky");
    expect(systemReportFormatters.notification(report)).toBe("system: circuit breaker open for flaky");
    expect(systemReportFormatters.notification({ ...report, warnings: [] })).toBe("system: all well");
    expect(systemReportFormatters.text(report)).toBe(formatReport(report));
  });

  it("formats sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * GiB)).toBe("3.0 GiB");
  });
});
