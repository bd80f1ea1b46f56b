// The visualizer as a person debugging a run uses it (issue 18), in Debian's Chromium through
// playwright-core: a tab that outlives a host restart shows the new run; the slider, the arrow
// keys, ▶, a deep link and an edited address all land on visible timeline rows, with Details
// following; a crash is visible on the chart and the selection follows the agent to its next
// incarnation; one Actor filter entry per agent and names instead of internal ids; a trace opens
// at its first record with actors; an empty, binary or partly bad trace is explained in the page;
// zoom and pan; a long parallel state value wraps in its tree row; self-loops are loops.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  createInspector,
  createSupervisor,
  defineAgent,
  readTrace,
  recordTrace,
  type TraceRecord,
} from "@troupe/runtime";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fromPromise, setup } from "xstate";
import { liveSource, traceSource } from "../../apps/host/src/inspect/InspectSource.ts";
import { runInspect } from "../../apps/host/src/inspect/runInspect.ts";
import { startInspectServer } from "../../apps/host/src/inspect/startInspectServer.ts";
import { CHROMIUM_LAUNCH_MS, launchChromium } from "../harness/chromium.ts";

// A machine agent with a long parallel state value, a self-loop and an invoke without an id.
const review = setup({ actors: { drafter: fromPromise(async () => "draft") } }).createMachine({
  id: "review",
  type: "parallel",
  states: {
    drafting: {
      initial: "writing",
      states: {
        writing: { invoke: { src: "drafter", onDone: "written" } },
        written: { type: "final" },
      },
    },
    checkingTheSpellingOfEveryLongWord: {
      initial: "waitingForTheDictionaryToLoad",
      states: {
        waitingForTheDictionaryToLoad: {
          on: { retry: { target: "waitingForTheDictionaryToLoad", reenter: true }, next: "checked" },
        },
        checked: { type: "final" },
      },
    },
  },
});

let context: BrowserContext;
let profile: string;
let dir: string;
let records: TraceRecord[];
/** Errors thrown in the pages; none is expected. */
const pageErrors: string[] = [];

const openPage = async (url: string): Promise<Page> => {
  const page = await context.newPage();
  page.setDefaultTimeout(8_000);
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
  await page.goto(url);
  return page;
};

const seqOf = async (page: Page) => Number(await page.locator("body").getAttribute("data-seq"));

/** A recorded run: an echo agent, an agent that crashes on its first task, and the review machine. */
const recordRun = async (path: string): Promise<TraceRecord[]> => {
  const inspector = createInspector();
  const recording = recordTrace(inspector, path);
  let calls = 0;
  const echo = defineAgent({ name: "echo", handle: async (task) => task.text });
  const flaky = defineAgent({
    name: "flaky",
    handle: async () => {
      calls += 1;
      if (calls === 1) throw new Error("boom");
      return "ok";
    },
  });
  const reviewer = defineAgent({ name: "reviewer", machine: review });
  const team = createSupervisor({ agents: [echo, flaky, reviewer] });
  inspector.attachTeam(team);
  for (let round = 0; round < 3; round += 1) await team.ask(echo, `hello ${round}`).result;
  await team.ask(flaky, "one").result.catch(() => {});
  await team.ask(flaky, "two").result;
  const run = team.ask(reviewer, "check");
  await new Promise<void>((resolve) => setImmediate(resolve));
  run.send({ type: "retry" } as never);
  await new Promise<void>((resolve) => setImmediate(resolve));
  run.send({ type: "next" } as never);
  await run.result;
  for (let round = 0; round < 3; round += 1) await team.ask(echo, `bye ${round}`).result;
  await recording.close();
  team.stop();
  const read: TraceRecord[] = [];
  for await (const record of readTrace(path)) read.push(record);
  return read;
};

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "troupe-chromium-"));
  dir = mkdtempSync(join(tmpdir(), "troupe-trace-"));
  records = await recordRun(join(dir, "run.jsonl"));
  context = await launchChromium(profile);
}, CHROMIUM_LAUNCH_MS + 30_000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const actorOf = (id: string) =>
  records.find(
    (record): record is TraceRecord & { kind: "actor" } => record.kind === "actor" && record.id === id,
  )!;
const eventRecord = (predicate: (record: TraceRecord & { kind: "event" }) => boolean) =>
  records
    .filter((record): record is TraceRecord & { kind: "event" } => record.kind === "event")
    .find(predicate)!;

describe("visualizer, debugging a run", () => {
  it("follows the host to its new run after a restart", async () => {
    const start = async (agentName: string) => {
      const inspector = createInspector();
      const agent = defineAgent({ name: agentName, handle: async (task) => task.text });
      const team = createSupervisor({ agents: [agent] });
      inspector.attachTeam(team);
      // Enough records that the old run's last seq is past all of the new run's.
      for (let round = 0; round < 20; round += 1) await team.ask(agent, `r${round}`).result;
      return { inspector, team };
    };
    const first = await start("before");
    let server = await startInspectServer({ source: liveSource(first.inspector) });
    const port = Number(new URL(server.url).port);
    const page = await openPage(server.url);
    try {
      await page.waitForSelector('.tree-row:has-text("before#1")');
      await server.close();
      first.team.stop();
      const second = await start("after");
      server = await startInspectServer({ source: liveSource(second.inspector), port });
      try {
        await page.waitForSelector('.tree-row:has-text("after#1")', { timeout: 15_000 });
        expect(await page.locator('.tree-row:has-text("before#1")').count()).toBe(0);
        await expect.poll(() => page.locator("#status").textContent()).toContain("live");
      } finally {
        second.team.stop();
      }
    } finally {
      await page.close();
      await server.close();
    }
  });

  describe("on a recorded trace", () => {
    let server: Awaited<ReturnType<typeof startInspectServer>>;
    beforeAll(async () => {
      server = await startInspectServer({ source: traceSource("run.jsonl", records) });
    });
    afterAll(() => server.close());

    /** A page at `hash`, loaded; closed after `use`. */
    const withPage = async (hash: string, use: (page: Page) => Promise<void>) => {
      const page = await openPage(`${server.url}${hash}`);
      try {
        await page.waitForSelector("body[data-loaded]");
        await use(page);
      } finally {
        await page.close();
      }
    };
    const assigns = () =>
      records.filter(
        (record): record is TraceRecord & { kind: "event" } =>
          record.kind === "event" && record.type === "troupe.task.assign",
      );

    it("opens at the first record with actors", () =>
      withPage("", async (page) => {
        await page.waitForSelector(".tree-row");
        expect(await seqOf(page)).toBe(records.find((record) => record.kind === "actor")!.seq);
      }));

    it("lists one Actor filter entry per agent, the supervisor by name, and filters all incarnations", () =>
      withPage("", async (page) => {
        const options = await page.$$eval("#filter-actor option", (list) =>
          list.map((option) => option.textContent),
        );
        expect(options.filter((option) => option === "flaky")).toHaveLength(1);
        expect(options.some((option) => /#\d|x:\d/.test(option ?? ""))).toBe(false);
        expect(options).toContain("supervisor");
        await page.selectOption("#filter-actor", "flaky");
        await page.click("#last");
        await page.waitForSelector('.tl-row:has-text("flaky#1")');
        await page.waitForSelector('.tl-row:has-text("flaky#2")');
      }));

    it("reads what the supervisor sends an agent as from the supervisor", async () => {
      const assign = assigns()[0]!;
      await withPage(`#seq=${assign.seq}`, async (page) => {
        await page.waitForSelector(`.tl-row[data-seq="${assign.seq}"]`);
        expect(await page.textContent(`.tl-row[data-seq="${assign.seq}"] .summary`)).toBe(
          "supervisor → echo#1",
        );
      });
    });

    it("scrolls the timeline to a deep link's record, highlights it and shows its details", async () => {
      const late = assigns().at(-1)!;
      await withPage(`#seq=${late.seq}`, async (page) => {
        const row = page.locator(`.tl-row.current[data-seq="${late.seq}"]`);
        await row.waitFor();
        const scroller = (await page.locator("#timeline-scroll").boundingBox())!;
        const box = (await row.boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(scroller.y);
        expect(box.y + box.height).toBeLessThanOrEqual(scroller.y + scroller.height);
        expect(await page.textContent("#details-title")).toBe("troupe.task.assign");
      });
    });

    it("follows the address edited in the same tab", async () => {
      const [first, second] = assigns();
      await withPage(`#seq=${first!.seq}`, async (page) => {
        await page.waitForSelector(`.tl-row.current[data-seq="${first!.seq}"]`);
        await page.evaluate((seq) => {
          location.hash = `#seq=${seq}`;
        }, second!.seq);
        await page.waitForSelector(`.tl-row.current[data-seq="${second!.seq}"]`);
      });
    });

    it("moves Details with the slider, and after it the arrow keys step by visible row", () =>
      withPage("", async (page) => {
        await page.$eval("#scrub", (input) => {
          const range = input as HTMLInputElement;
          range.value = String(Math.floor(Number(range.max) * 0.6));
          range.dispatchEvent(new Event("input"));
        });
        const current = page.locator(".tl-row.current");
        await expect.poll(() => seqOf(page)).toBeGreaterThan(records.length / 2);
        expect(await page.textContent("#details-title")).toBe(await current.locator(".type").textContent());
        const nextSeq = await page.$eval(".tl-row.current", (element) => {
          const rows = [...document.querySelectorAll<HTMLElement>(".tl-row")];
          return rows[rows.indexOf(element as HTMLElement) + 1]!.dataset.seq;
        });
        await page.focus("#scrub");
        await page.keyboard.press("ArrowRight");
        await page.waitForSelector(`.tl-row.current[data-seq="${nextSeq}"]`);
        expect(await seqOf(page)).toBe(Number(nextSeq));
      }));

    it("stops ▶ only on visible rows, across a crash's hidden xstate.* records", async () => {
      const failed = eventRecord((record) => record.type === "troupe.agent.failed");
      const init = eventRecord((record) => record.type === "xstate.init" && record.seq > failed.seq);
      await withPage(`#seq=${failed.seq}`, async (page) => {
        let seq = failed.seq;
        await page.waitForSelector(`.tl-row.current[data-seq="${seq}"]`);
        for (let steps = 0; steps < 40 && seq <= init.seq + 1; steps += 1) {
          await page.click("#next");
          await expect.poll(() => seqOf(page)).not.toBe(seq);
          seq = await seqOf(page);
          await page.waitForSelector(`.tl-row.current[data-seq="${seq}"]`);
        }
        expect(seq).toBeGreaterThan(init.seq);
      });
    });

    it("shows a crash on the chart and follows the agent to its next incarnation", async () => {
      const failed = eventRecord((record) => record.type === "troupe.agent.failed");
      const page = await openPage(`${server.url}#seq=${failed.seq}&actor=${actorOf("flaky#1").actor}`);
      try {
        await page.waitForSelector('g.state.active[data-id="agent.busy.working"]');
        expect(await page.textContent("#chart-title")).toContain("flaky#1");
        // Stepping on: the chart goes to flaky#2, the error transition that ended flaky#1 flashes
        // and the restart is marked.
        for (let steps = 0; steps < 20; steps += 1) {
          if ((await page.textContent("#chart-title"))!.includes("flaky#2")) break;
          const seq = await seqOf(page);
          await page.click("#next");
          await expect.poll(() => seqOf(page)).toBeGreaterThan(seq);
        }
        await page.waitForSelector('g.edge.kind-error.crashed[data-source="agent.busy"]');
        expect(await page.textContent("#chart-title")).toContain("flaky#2");
        expect(await page.isVisible("#chart-crash")).toBe(true);
        expect(await page.textContent("#chart-crash")).toContain("boom");
        await page.waitForSelector('.tree-row.selected:has-text("flaky#2")');
      } finally {
        await page.close();
      }
    });

    it("shows one task's messages in the sequence view, each a way to its point of the run", async () => {
      const assign = eventRecord((record) => record.type === "troupe.task.assign");
      const task = (assign.event as { task: { id: string } }).task.id;
      const succeeded = records.find(
        (record) =>
          record.kind === "runtime" &&
          record.event.type === "task.succeeded" &&
          "taskId" in record.event &&
          record.event.taskId === task,
      )!;
      const done = eventRecord(
        (record) =>
          record.type === "troupe.task.done" && record.seq < succeeded.seq && record.seq > assign.seq,
      );
      const page = await openPage(`${server.url}#seq=${assign.seq}`);
      try {
        await page.waitForSelector(`.tl-row.current[data-seq="${assign.seq}"]`);
        await page.click("#show-sequence");
        await page.waitForSelector(`#sequence .seq-task:has-text("${task}")`);
        const heads = await page.$$eval("#sequence .seq-head", (list) =>
          list.map((head) => head.textContent),
        );
        expect(heads.slice(0, 2)).toEqual(["supervisor", "echo#1"]);
        const messages = await page.$$eval("#sequence .seq-msg", (list) =>
          list.map((message) => [(message as HTMLElement).dataset.seq, message.getAttribute("title")]),
        );
        expect(messages).toContainEqual([String(assign.seq), "supervisor → echo#1"]);
        // The handler's settlement is the agent's own message to itself.
        expect(messages).toContainEqual([String(done.seq), "echo#1 → echo#1"]);
        expect(messages.at(-1)).toEqual([String(succeeded.seq), "echo#1"]);
        const seqs = messages.map(([seq]) => Number(seq));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        // Only this task's messages: none of another task's assignments.
        expect(messages.filter(([, title]) => title === "supervisor → echo#1")).toHaveLength(1);
        await page.click(`#sequence .seq-msg[data-seq="${done.seq}"]`);
        await expect.poll(() => seqOf(page)).toBe(done.seq);
        await page.waitForSelector(`#sequence .seq-msg.current[data-seq="${done.seq}"]`);
        await page.screenshot({ path: join(import.meta.dirname, "../../test-results/inspect-sequence.png") });
      } finally {
        await page.close();
      }
    });

    /** The review run, at a point where it waits in its long parallel state. */
    const withReview = (use: (page: Page, run: string) => Promise<void>) => {
      const checking = records.find(
        (record): record is TraceRecord & { kind: "snapshot" } =>
          record.kind === "snapshot" &&
          JSON.stringify(record.value ?? "").includes("waitingForTheDictionaryToLoad") &&
          record.status === "active",
      )!;
      return withPage(`#seq=${checking.seq}&actor=${checking.actor}`, async (page) => {
        await page.waitForSelector('g.state.active[data-id="review.checkingTheSpellingOfEveryLongWord"]');
        await use(page, checking.actor);
      });
    };

    it("wraps a long parallel state value inside its tree row", () =>
      withReview(async (page, run) => {
        const overflow = await page.$eval(`.tree-row[data-actor="${run}"]`, (element) => ({
          scroll: element.scrollWidth,
          client: element.clientWidth,
        }));
        expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
      }));

    it("names invoke transitions by the invoked actor", () =>
      withReview(async (page) => {
        const labels = await page.$$eval("svg.chart g.edge text", (texts) =>
          texts.map((text) => text.textContent),
        );
        expect(labels).toContain("done: drafter");
        expect(labels.some((label) => /\d+\.review/.test(label ?? ""))).toBe(false);
      }));

    it("draws a self-loop as a loop around its state, not a stub", () =>
      withReview(async (page) => {
        const loop = await page.$eval(
          'g.edge[data-source="review.checkingTheSpellingOfEveryLongWord.waitingForTheDictionaryToLoad"][data-event="retry"] path',
          (path) => {
            const box = (path as SVGPathElement).getBBox();
            return { width: box.width, height: box.height };
          },
        );
        expect(loop.width).toBeGreaterThanOrEqual(25);
        expect(loop.height).toBeGreaterThanOrEqual(16);
      }));

    it("zooms in, pans by dragging and fits the chart again", () =>
      withReview(async (page) => {
        const chart = page.locator("svg.chart");
        const before = (await chart.boundingBox())!.width;
        await page.click("#zoom-in");
        await page.click("#zoom-in");
        await page.click("#zoom-in");
        await expect.poll(async () => (await chart.boundingBox())!.width).toBeGreaterThan(before * 1.5);
        const panel = (await page.locator("#chart").boundingBox())!;
        const scrolled = () => page.$eval("#chart", (element) => element.scrollLeft + element.scrollTop);
        const start = await scrolled();
        await page.mouse.move(panel.x + panel.width / 2, panel.y + panel.height / 2);
        await page.mouse.down();
        await page.mouse.move(panel.x + panel.width / 2 - 120, panel.y + panel.height / 2 - 80, { steps: 4 });
        await page.mouse.up();
        expect(await scrolled()).toBeGreaterThan(start);
        await page.click("#zoom-fit");
        await expect.poll(async () => (await chart.boundingBox())!.width).toBeLessThanOrEqual(panel.width);
      }));
  });

  it("says in the page when a trace is empty, binary or had lines skipped", async () => {
    const open = async (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      const stdout = new PassThrough();
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const running = runInspect(
        { trace: path, host: "127.0.0.1", port: 0 },
        { stdin: new PassThrough(), stdout, stderr: new PassThrough(), stopped },
      );
      let printed = "";
      stdout.on("data", (chunk) => {
        printed += String(chunk);
      });
      await expect.poll(() => /open (\S+)/.exec(printed)?.[1]).toBeTruthy();
      const page = await openPage(/open (\S+)/.exec(printed)![1]!);
      await page.waitForSelector("body[data-loaded]");
      const notice = (await page.isVisible("#notice")) ? await page.textContent("#notice") : "";
      const chart = await page.textContent("#chart");
      await page.close();
      stop();
      expect(await running).toBe(0);
      return { notice, chart };
    };
    const empty = await open("empty.jsonl", "");
    expect(empty.notice).toContain("empty");
    expect(empty.chart).toContain("empty");
    const binary = await open(
      "binary.jsonl",
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]),
    );
    expect(binary.notice).toMatch(/no trace records.*line 1: not JSON/);
    const good = records.map((record) => JSON.stringify(record));
    const partly = await open("partly.jsonl", [good[0], "{not json", ...good.slice(1)].join("\n"));
    expect(partly.notice).toMatch(/^1 line\(s\) skipped.*line 2: not JSON/);
  });
});
