// The statecharts visualizer in a real browser (Debian's Chromium through playwright-core, never a
// downloaded browser): the tree of a fixture supervisor, the highlight moving when an event is
// sent, a recorded trace replayed to a chosen point, no request leaving localhost, no two state
// boxes overlapping, a screenshot kept under test-results/, and the figures at 200 actors and
// 100,000 records.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createInspector,
  createSupervisor,
  defineAgent,
  readTrace,
  recordTrace,
  type TraceRecord,
} from "@troupe/runtime";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assign, setup } from "xstate";
import { liveSource, traceSource } from "../../apps/host/src/inspect/InspectSource.ts";
import { startInspectServer } from "../../apps/host/src/inspect/startInspectServer.ts";
import { CHROMIUM_LAUNCH_MS, launchChromium } from "../harness/chromium.ts";

const ARTIFACTS = join(import.meta.dirname, "../../test-results");

const flow = setup({ types: { context: {} as { steps: number } } }).createMachine({
  id: "flow",
  initial: "waiting",
  context: { steps: 0 },
  states: {
    waiting: {
      on: { next: { target: "second", actions: assign({ steps: ({ context }) => context.steps + 1 }) } },
    },
    second: { on: { next: "done" } },
    done: { type: "final" },
  },
});

let context: BrowserContext;
let profile: string;
const requests: string[] = [];

const openPage = async (url: string): Promise<Page> => {
  const page = await context.newPage();
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => {
    throw error;
  });
  await page.goto(url);
  return page;
};

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "troupe-chromium-"));
  context = await launchChromium(profile);
}, CHROMIUM_LAUNCH_MS + 30_000);

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  // Every request the pages made went to this machine.
  expect(requests.length).toBeGreaterThan(0);
  for (const url of requests) expect(new URL(url).hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);
});

describe("statecharts visualizer", () => {
  it("shows a live supervisor's tree, moves the highlight when an event is sent, lays states out apart", async () => {
    const echo = defineAgent({ name: "echo", handle: async (task) => task.text });
    const stepper = defineAgent({ name: "stepper", machine: flow });
    const inspector = createInspector();
    const team = createSupervisor({ agents: [echo, stepper] });
    inspector.attachTeam(team);
    const server = await startInspectServer({ source: liveSource(inspector) });
    try {
      await team.ask(echo, "hello").result;
      const run = team.ask(stepper, "go");
      const page = await openPage(server.url);
      await page.waitForSelector('.tree-row:has-text("echo#1")');
      await page.waitForSelector('.tree-row:has-text("stepper#1")');
      expect(await page.locator(".tree-row").count()).toBeGreaterThanOrEqual(4); // supervisor, 2 agents, the run

      // The run of the machine agent: its own chart, waiting for `next`.
      await page.click('.tree-row:has-text("machine flow")');
      await page.waitForSelector('g.state.active[data-id="flow.waiting"]');
      run.send({ type: "next" } as never);
      await page.waitForSelector('g.state.active[data-id="flow.second"]');
      expect(await page.locator('g.state.active[data-id="flow.waiting"]').count()).toBe(0);
      await page.waitForSelector('g.edge.flash[data-source="flow.waiting"][data-target="flow.second"]');

      // The agent host's chart: no two state boxes overlap unless one holds the other.
      await page.click('.tree-row:has-text("stepper#1")');
      await page.waitForSelector('svg.chart g.state[data-id="agent.busy.working"]');
      const boxes = await page.$$eval("svg.chart g.state", (groups) =>
        groups.map((group) => {
          const box = (group.querySelector("rect, circle") as SVGGraphicsElement).getBoundingClientRect();
          return { id: (group as SVGGElement).dataset.id!, x: box.x, y: box.y, w: box.width, h: box.height };
        }),
      );
      expect(boxes.length).toBeGreaterThanOrEqual(4);
      const inside = (a: (typeof boxes)[number], b: (typeof boxes)[number]) =>
        a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.w <= b.x + b.w + 0.5 && a.y + a.h <= b.y + b.h + 0.5;
      for (const a of boxes) {
        for (const b of boxes) {
          if (a === b || inside(a, b) || inside(b, a)) continue;
          const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
        }
      }
      run.send({ type: "next" } as never);
      await run.result;
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.click('.tree-row:has-text("stepper#1")');
      await page.screenshot({ path: join(ARTIFACTS, "inspect-live.png") });
      await page.close();
    } finally {
      await server.close();
      team.stop();
    }
  });

  it("shows the supervisor's life as states and an agent's circuit breaker beside it, opening after repeated failures", async () => {
    const flaky = defineAgent({
      name: "flaky",
      breaker: { maxFailures: 3 },
      handle: async () => {
        throw new Error("model is down");
      },
    });
    const inspector = createInspector();
    const team = createSupervisor({ agents: [flaky], restart: { intensity: 100 } });
    inspector.attachTeam(team);
    const server = await startInspectServer({ source: liveSource(inspector) });
    try {
      const page = await openPage(server.url);
      // The supervisor's chart is the team's life, as states.
      await page.click('.tree-row:has-text("machine supervisor")');
      await page.waitForSelector('g.state.active[data-id="supervisor.running"]');
      for (const state of ["draining", "escalated", "restarting", "stopped"])
        expect(await page.locator(`g.state[data-id="supervisor.${state}"]`).count()).toBe(1);
      const breakerRow = page.locator('.tree-row:has-text("flaky.breaker")');
      await breakerRow.waitFor();
      expect(await breakerRow.locator(".value").textContent()).toBe("closed");
      await breakerRow.click();
      await page.waitForSelector('g.state.active[data-id="breaker.closed"]');
      expect(await page.textContent("#chart-title")).toContain("flaky.breaker");

      for (let round = 0; round < 3; round += 1) await team.ask(flaky, `try ${round}`).result.catch(() => {});
      await expect.poll(() => breakerRow.locator(".value").textContent()).toBe("open");
      await page.waitForSelector('g.state.active[data-id="breaker.open"]');
      await page.waitForSelector('g.edge.flash[data-source="breaker.closed"][data-target="breaker.open"]');
      // The failure that opened it is on the timeline, sent by the supervisor to the breaker.
      await page.waitForSelector('.tl-row:has-text("supervisor → flaky.breaker")');
      // Filtered on the breaker, the timeline is its three failures.
      await page.selectOption("#filter-actor", "flaky.breaker");
      await expect
        .poll(() => page.$$eval(".tl-row .type", (types) => types.map((type) => type.textContent)))
        .toEqual(["failed", "failed", "failed"]);
      await page.screenshot({ path: join(ARTIFACTS, "inspect-breaker.png") });
      await page.close();
    } finally {
      team.stop();
      await server.close();
    }
  });

  it("replays a recorded trace to the point a deep link names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-trace-"));
    const path = join(dir, "run.jsonl");
    const inspector = createInspector();
    const recording = recordTrace(inspector, path);
    const stepper = defineAgent({ name: "stepper", machine: flow });
    const team = createSupervisor({ agents: [stepper] });
    inspector.attachTeam(team);
    const run = team.ask(stepper, "go");
    await new Promise<void>((resolve) => setImmediate(resolve));
    run.send({ type: "next" } as never);
    await new Promise<void>((resolve) => setImmediate(resolve));
    run.send({ type: "next" } as never);
    await run.result;
    await recording.close();
    team.stop();
    const records: TraceRecord[] = [];
    for await (const record of readTrace(path)) records.push(record);
    // The point: the flow machine's snapshot in "second".
    const point = records.find((record) => record.kind === "snapshot" && record.value === "second")!;
    const server = await startInspectServer({ source: traceSource("run.jsonl", records) });
    try {
      const page = await openPage(
        `${server.url}#seq=${point.seq}&actor=${point.kind === "snapshot" ? point.actor : ""}`,
      );
      await page.waitForSelector('g.state.active[data-id="flow.second"]');
      expect(await page.locator("body").getAttribute("data-seq")).toBe(String(point.seq));
      // One step back in the timeline goes before `next` was taken.
      await page.click("#prev");
      await page.waitForSelector('g.state.active[data-id="flow.waiting"]');
      const download = page.waitForEvent("download");
      await page.click("#export-svg");
      const svg = await (await download).path();
      expect(svg).toBeTruthy();
      await page.close();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stays responsive with 200 actors and 100,000 records (prints the figures)", async () => {
    const agents = Array.from({ length: 199 }, (_, index) =>
      defineAgent({ name: `a${String(index).padStart(3, "0")}`, handle: async () => "ok" }),
    );
    const inspector = createInspector({ capacity: 120_000 });
    const team = createSupervisor({ agents });
    inspector.attachTeam(team);
    let made = 0;
    inspector.subscribe(() => {
      made += 1;
    });
    for (let round = 0; made < 100_000; round += 1) {
      await Promise.all(agents.map((agent) => team.ask(agent, `r${round}`).result));
    }
    team.stop();
    const records = inspector.records().slice(0, 100_000);
    const server = await startInspectServer({ source: traceSource("scale.jsonl", records) });
    try {
      const startedAt = Date.now();
      const page = await openPage(server.url);
      await page.waitForSelector("body[data-loaded]", { timeout: 25_000 });
      // A trace opens at its first record with an actor: the supervisor, before its agents start.
      await page.waitForSelector(".tree-row");
      const treeMs = Date.now() - startedAt;
      await page.click("#first");
      const firstSeq = records.find((record) => record.kind !== "machine")!.seq;
      await page.waitForFunction((seq) => document.body.dataset.seq === String(seq), firstSeq);
      const scrubStartedAt = Date.now();
      await page.click("#last");
      await page.waitForFunction((seq) => document.body.dataset.seq === String(seq), records.at(-1)!.seq);
      await page.waitForFunction(() => document.querySelectorAll(".tree-row").length >= 200);
      const scrubMs = Date.now() - scrubStartedAt;
      const middle = Date.now();
      await page.$eval("#scrub", (input) => {
        const range = input as HTMLInputElement;
        range.value = String(Math.floor(Number(range.max) / 2));
        range.dispatchEvent(new Event("input"));
      });
      await page.waitForFunction(() => Number(document.body.dataset.seq) > 1_000);
      const seekMs = Date.now() - middle;
      console.log(
        `inspect scale: ${records.length} records, ${agents.length + 1} actors: load the records and open at the first actor ${treeMs} ms, scrub to the end ${scrubMs} ms, seek to the middle ${seekMs} ms`,
      );
      await page.close();
    } finally {
      await server.close();
    }
  });
});
