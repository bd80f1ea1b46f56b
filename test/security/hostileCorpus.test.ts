// The hostile-input corpus: fast-check draws what a careless or hostile person, chat or program can
// send each reader of outside input — the console parser, the chat inbound router and bridge, the
// Redis stream-entry reader, the trace reader and the config parsers — and checks that nothing
// crashes, no other task is lost, nothing printed can forge a line, and no secret is shown.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createSupervisor,
  defineAgent,
  EventBus,
  isTroupeError,
  readTrace,
  routeInbound,
  SURFACE_COMMANDS,
  startSurfaceBridge,
  startWorker,
} from "@troupe/runtime";
import { createRedisWorkQueue, type RedisWorkQueue } from "@troupe/runtime/redis";
import { MemoryWorkQueue, recordingSurface } from "@troupe/runtime/testing";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveHostConfig } from "../../apps/host/src/config/hostConfig.ts";
import { commandOptions } from "../../apps/host/src/console/ConsoleSurface.ts";
import { parseConsoleLine } from "../../apps/host/src/console/parseConsoleLine.ts";
import { printableLine, printableText } from "../../apps/host/src/console/printable.ts";

/** Text as hostile as it gets: control characters, escape sequences, line separators, mentions, long runs. */
const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        "\n",
        "\r",
        "\u001b[2K",
        "\u001b]0;title\u0007",
        "\u2028",
        "\u0000",
        "[t-x] ✅ done",
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<@&42>",
        "@echo",
        "/ask",
        "/cancel",
        "%",
        "\\",
        '"',
        "x",
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join("")),
  fc.integer({ min: 1, max: 3 }).map((n) => "y".repeat(n * 1_000_000)),
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const LINE_BREAKING_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

describe("the console parser and printer", () => {
  it("parse any line into a command without throwing, and print any text without a control character", () => {
    fc.assert(
      fc.property(hostileText, (line) => {
        const command = parseConsoleLine(line);
        expect(command === undefined || typeof command.kind === "string").toBe(true);
        for (const spec of SURFACE_COMMANDS) expect(typeof commandOptions(spec, line)).toBe("object");
        expect(printableLine(line)).not.toMatch(LINE_BREAKING);
        for (const shown of printableText(line).split("\n")) expect(shown).not.toMatch(LINE_BREAKING_BUT_TAB);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the chat inbound router and bridge", () => {
  const message = fc.record({
    id: fc.string({ minLength: 1, maxLength: 30 }),
    channelId: fc.constantFrom("c-general", "c-other", ""),
    channelName: fc.option(fc.constantFrom("general", "random", ""), { nil: undefined }),
    threadId: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    authorId: fc.string({ minLength: 1, maxLength: 20 }),
    authorName: hostileText,
    fromBot: fc.boolean(),
    content: hostileText,
  });

  it("routes any message to a task or to nothing, never throwing", () => {
    fc.assert(
      fc.property(message, (inbound) => {
        const route = routeInbound(inbound, new Map([["general", null]]), ["echo"]);
        expect(["task", "ignore"]).toContain(route.kind);
      }),
      { numRuns: 300 },
    );
  });

  it("takes a burst of hostile messages without crashing, pinging anyone or losing the good task after them", async () => {
    const echo = defineAgent({ name: "echo", handle: (task) => task.text });
    const team = createSupervisor({ agents: [echo], fallback: "echo" });
    const queue = new MemoryWorkQueue();
    const worker = startWorker({ team, queue, consumer: "corpus", pollWait: "20ms" });
    const fake = recordingSurface();
    const bridge = startSurfaceBridge({
      surface: fake.surface,
      bus: team.bus,
      queue,
      channels: new Map([["general", null]]),
      agents: () => ["echo"],
      reactions: { intervalMs: 0 },
      userRate: { tasks: 1_000, perMs: 60_000 },
    });
    try {
      const burst = fc.sample(message, { numRuns: 60, seed: 17 });
      for (const [index, inbound] of burst.entries())
        fake.say({ ...inbound, id: `h${index}`, channelName: inbound.channelName ?? "general" });
      fake.say({ id: "good", channelName: "general", content: "the task after the storm", authorId: "ann" });
      await fake.until(() => fake.reactions.get("good")?.has("✅") === true);
      expect(fake.posts.some(({ post }) => post.content.includes("the task after the storm"))).toBe(true);
      for (const { post } of fake.posts) expect(post.mentions).toBeUndefined();
    } finally {
      await bridge.stop(AbortSignal.timeout(2_000));
      await worker.stop();
      team.stop();
    }
  });
});

describe("the Redis stream-entry reader", () => {
  let admin: Redis;
  let queue: RedisWorkQueue;
  const namespace = `corpus-${randomUUID()}`;
  beforeAll(async () => {
    admin = new Redis("redis://127.0.0.1:6379");
    queue = await createRedisWorkQueue({ redis: admin, namespace, maxTaskBytes: 4_096 });
  });
  afterAll(async () => {
    await queue.close();
    const keys = await admin.keys(`troupe:${namespace}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const field = fc.oneof(
    fc.constantFrom("task", "input", "garbage", "TASK", ""),
    fc.string({ unit: "binary", maxLength: 10 }),
  );
  const value = fc.oneof(
    hostileText.map((text) => text.slice(0, 10_000)),
    fc.jsonValue().map((json) => JSON.stringify(json)),
    fc.constant(JSON.stringify({ text: "z".repeat(5_000) })),
  );
  const entry = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 });

  it("buries or delivers whatever another program XADDs, and still delivers the good task behind it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 5 }), async (entries) => {
        for (const fields of entries) await admin.xadd(queue.keys.queue, "*", ...fields.flat());
        const good = `good-${randomUUID()}`;
        await queue.enqueue({ id: good, input: { text: "keep me" } });
        const delivered: string[] = [];
        while (true) {
          const leases = await queue.lease("corpus", { max: 10, waitMs: 0 });
          if (leases.length === 0) break;
          for (const lease of leases) {
            delivered.push(lease.taskId);
            expect(lease.taskId).not.toMatch(LINE_BREAKING);
            await queue.finish(lease, { status: "succeeded", output: null });
          }
        }
        expect(delivered).toContain(good);
        expect(await admin.xlen(queue.keys.queue)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe("the trace reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-corpus-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const event = new EventBus().publish({
    type: "task.succeeded",
    taskId: "t-1",
    agent: "echo",
    durationMs: 3,
  });
  const goodLine = JSON.stringify({ v: 1, seq: 1, at: event.at, kind: "runtime", event });

  it("reads every good record of a trace among any bad lines, reporting the bad ones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            hostileText.map((text) => text.slice(0, 5_000)),
            fc.jsonValue().map((json) => JSON.stringify(json)),
          ),
          { maxLength: 10 },
        ),
        async (lines) => {
          const path = join(dir, `${randomUUID()}.jsonl`);
          writeFileSync(path, [...lines, goodLine, ...lines].join("\n"));
          const records = [];
          for await (const record of readTrace(path, { onMalformed: () => {} })) records.push(record);
          expect(records).toEqual([expect.objectContaining({ kind: "runtime", event })]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the config parsers", () => {
  const secret = `s3cret-${randomBytes(6).toString("hex")}`;
  const keys = [
    "TROUPE_MAX_TASK_BYTES",
    "TROUPE_HTTP_PORT",
    "TROUPE_NAMESPACE",
    "TROUPE_LEASE",
    "TROUPE_AGENTS",
    "TROUPE_MAX_ATTEMPTS",
    "TROUPE_MONITOR_THRESHOLDS",
    "TROUPE_HTTP_ALLOWED_HOSTS",
  ] as const;
  /** A URL variable's value with a password in it, well-formed or not. */
  const withSecret = fc
    .tuple(
      fc.constantFrom("redis://", "rediss://", "https://", "http://", ""),
      fc.constantFrom("", "user", "%zz", "a%"),
      fc.string({ maxLength: 20 }),
    )
    .map(([scheme, user, tail]) => `${scheme}${user}:${secret}@${tail}`);

  it("take any environment to settings or to an error naming the variable, never showing a secret", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...keys),
          hostileText.map((text) => text.slice(0, 300)),
          { maxKeys: 4 },
        ),
        fc.record({ REDIS_URL: withSecret, TROUPE_NOTIFY_WEBHOOK_URL: withSecret }, { requiredKeys: [] }),
        (settings, urls) => {
          const env = { ...settings, ...urls };
          let config: ReturnType<typeof resolveHostConfig> | undefined;
          try {
            config = resolveHostConfig({}, env, "/srv/app");
          } catch (error) {
            expect(isTroupeError(error)).toBe(true);
            expect((error as Error).message).not.toContain(secret);
          }
          // The settings keep a URL's password to use it; what they show of it never holds it.
          if (config?.store.kind === "redis") expect(config.store.redactedUrl).not.toContain(secret);
          expect(JSON.stringify(config?.notify.problems ?? [])).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
