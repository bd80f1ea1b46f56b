// The notifier's decisions, on the in-memory outbox with scripted sinks: severity routing,
// retries and Retry-After, dead letters with a notice elsewhere, fallback when a sink fails for
// good or stays down (and the late copy when it comes back), holds for re-authorisation and
// quota, the breaker, quiet-hours digests, and bad alerts refused without stopping anything.
// Every wait is for an event the notifier reports, with a deadline; time is never slept away.
import { afterEach, describe, expect, it } from "vitest";
import { EventBus } from "../events/EventBus.ts";
import { MemoryOutboxStore } from "./MemoryOutboxStore.ts";
import { Notifier, type NotifierEvent, type NotifierOptions } from "./Notifier.ts";
import type { OutboundMessage, SendResult, Sink, SinkFormat } from "./Sink.ts";

interface ScriptedSink extends Sink {
  readonly sent: OutboundMessage[];
  readonly tried: OutboundMessage[];
  answer: (message: OutboundMessage) => SendResult | Promise<SendResult>;
  authorised: boolean;
}

const scriptedSink = (
  name: string,
  format: SinkFormat = { maxLength: 2_000, style: "plain" },
): ScriptedSink => {
  const sink: ScriptedSink = {
    name,
    format,
    sent: [],
    tried: [],
    authorised: true,
    answer: () => ({ kind: "ok" }),
    async send(message) {
      sink.tried.push(message);
      const result = await sink.answer(message);
      if (result.kind === "ok") sink.sent.push(message);
      return result;
    },
    async reauthorised() {
      return sink.authorised;
    },
  };
  return sink;
};

const FAST = {
  backoff: { base: 5, max: 20 },
  pollEvery: 20,
  failoverAfter: 150,
  breaker: { maxFailures: 3, resetAfter: 50 },
  reauthCheckEvery: 20,
} satisfies Partial<NotifierOptions>;

let notifiers: Notifier[] = [];
afterEach(async () => {
  await Promise.all(notifiers.map((notifier) => notifier.stop()));
  notifiers = [];
});

const setUp = async (sinks: Sink[], options: Partial<NotifierOptions> = {}) => {
  const store = new MemoryOutboxStore();
  const events: NotifierEvent[] = [];
  const notifier = new Notifier({ store, sinks, ...FAST, ...options });
  notifier.observe((event) => events.push(event));
  notifiers.push(notifier);
  await notifier.start();
  const until = <E extends NotifierEvent>(predicate: (event: NotifierEvent) => event is E) =>
    notifier.waitFor(predicate, AbortSignal.timeout(5_000));
  const sentOn = (sink: string, alertId: string) =>
    until(
      (event): event is Extract<NotifierEvent, { type: "sent" }> =>
        event.type === "sent" && event.sink === sink && event.ids.some((id) => id.startsWith(`${alertId}/`)),
    );
  return { store, notifier, events, until, sentOn };
};

const alert = (
  alertId: string,
  severity: "info" | "warning" | "critical" = "warning",
  text = `what happened to ${alertId}`,
) => ({
  alertId,
  severity,
  source: "test",
  title: `alert ${alertId}`,
  text,
});

describe("Notifier", () => {
  it("sends a critical alert to every sink at once and a warning to the first sink only", async () => {
    const discord = scriptedSink("discord");
    const kakao = scriptedSink("kakao");
    const { notifier, sentOn } = await setUp([discord, kakao]);
    const both = Promise.all([sentOn("discord", "c-1"), sentOn("kakao", "c-1")]);
    expect(await notifier.notify(alert("c-1", "critical"))).toMatchObject({
      sinks: ["discord", "kakao"],
      added: 2,
    });
    await both;
    const warned = sentOn("discord", "w-1");
    expect(await notifier.notify(alert("w-1"))).toMatchObject({ sinks: ["discord"], added: 1 });
    await warned;
    expect(kakao.sent.map((message) => message.alertId)).toEqual(["c-1"]);
    expect(await notifier.notify(alert("w-1"))).toMatchObject({ added: 0 });
  });

  it("retries with backoff, waits out a Retry-After without counting it, and delivers once", async () => {
    const discord = scriptedSink("discord");
    const answers: SendResult[] = [
      { kind: "retry", reason: "503" },
      { kind: "retry", reason: "429", afterMs: 30 },
      { kind: "ok" },
    ];
    discord.answer = () => answers.shift() ?? { kind: "ok" };
    const { notifier, sentOn, events, store } = await setUp([discord, scriptedSink("file")], {
      breaker: { maxFailures: 5 },
    });
    const sent = sentOn("discord", "r-1");
    await notifier.notify(alert("r-1"));
    await sent;
    expect(discord.tried).toHaveLength(3);
    expect(discord.sent).toHaveLength(1);
    expect(
      events
        .filter((event) => event.type === "failed")
        .map((event) => event.type === "failed" && event.reason),
    ).toEqual(["unavailable", "rate_limited"]);
    expect((await store.stats(["discord"])).sinks.discord!.pending).toBe(0);
  });

  it("moves a delivery to the dead letters after the attempt budget and says so on another sink", async () => {
    const discord = scriptedSink("discord");
    discord.answer = () => ({ kind: "retry", reason: "Discord answered 502" });
    const file = scriptedSink("file");
    const { notifier, until, sentOn } = await setUp([discord, file], {
      maxAttempts: 3,
      breaker: { maxFailures: 100 },
      failoverAfter: 60_000,
    });
    const dead = until((event): event is Extract<NotifierEvent, { type: "dead" }> => event.type === "dead");
    const notice = sentOn("file", "notifier~dead~d-1~discord~1");
    await notifier.notify(alert("d-1", "critical"));
    expect(await dead).toMatchObject({ sink: "discord", id: "d-1/discord/1", error: "Discord answered 502" });
    await notice;
    expect(file.sent.find((message) => message.alertId.startsWith("notifier~"))!.text).toContain(
      "could not be delivered to discord after 3 attempts",
    );
    const status = await notifier.status();
    expect(status.dead).toBe(1);
    expect(status.deadLetters[0]).toMatchObject({ id: "d-1/discord/1", failures: 3 });
  });

  it("falls back at once when a sink refuses for good", async () => {
    const discord = scriptedSink("discord");
    discord.answer = () => ({ kind: "permanent", reason: "Discord answered 404: Unknown Webhook" });
    const kakaowork = scriptedSink("kakaowork");
    const { notifier, sentOn } = await setUp([discord, kakaowork], { failoverAfter: 60_000 });
    const fallback = sentOn("kakaowork", "p-1");
    await notifier.notify(alert("p-1"));
    await fallback;
    expect(kakaowork.sent.map((message) => message.alertId)).toContain("p-1");
  });

  it("sends to the fallback while Discord is down, and the Discord copy arrives when it returns", async () => {
    const discord = scriptedSink("discord");
    let up = false;
    discord.answer = () =>
      up ? { kind: "ok" } : { kind: "retry", reason: "Discord unreachable: ECONNREFUSED" };
    const kakaowork = scriptedSink("kakaowork");
    const { notifier, sentOn, until } = await setUp([discord, kakaowork], { maxAttempts: 1_000 });
    const fallback = sentOn("kakaowork", "down-1");
    await notifier.notify(alert("down-1"));
    await fallback;
    expect(discord.sent).toEqual([]);
    // Discord comes back: its breaker half-opens, the probe succeeds, the copy is delivered.
    up = true;
    const closed = until(
      (event): event is Extract<NotifierEvent, { type: "breaker" }> =>
        event.type === "breaker" && event.to === "closed",
    );
    await sentOn("discord", "down-1");
    await closed;
    expect(discord.sent.map((message) => message.alertId)).toEqual(["down-1"]);
  });

  it("holds a sink that needs re-authorisation, alerts elsewhere, and sends its queue once re-authorised", async () => {
    const kakao = scriptedSink("kakao");
    kakao.authorised = false;
    kakao.answer = () =>
      kakao.authorised ? { kind: "ok" } : { kind: "auth_expired", reason: "KOE322 invalid_grant" };
    const discord = scriptedSink("discord");
    const { notifier, sentOn, until, store } = await setUp([kakao, discord]);
    const held = until((event): event is Extract<NotifierEvent, { type: "held" }> => event.type === "held");
    const notice = until(
      (event): event is Extract<NotifierEvent, { type: "sent" }> =>
        event.type === "sent" &&
        event.sink === "discord" &&
        event.ids.some((id) => id.startsWith("notifier~reauth~kakao")),
    );
    await notifier.notify(alert("k-1", "critical"));
    expect((await held).hold).toMatchObject({ sink: "kakao", reason: "reauth", until: null });
    await notice;
    expect(discord.sent.some((message) => message.text.includes("troupe kakao login"))).toBe(true);
    expect((await store.stats(["kakao"])).sinks.kakao!.pending).toBe(1);
    expect(await store.holds()).toHaveLength(1);
    const delivered = sentOn("kakao", "k-1");
    kakao.authorised = true;
    await delivered;
    expect(await store.holds()).toEqual([]);
  });

  it("parks a sink whose quota is used up without counting a failure, and resumes when it resets", async () => {
    const kakao = scriptedSink("kakao");
    let quotaUsed = true;
    kakao.answer = () =>
      quotaUsed
        ? { kind: "quota", reason: "Kakao answered 400 (-532)", resetAt: Date.now() + 100 }
        : { kind: "ok" };
    const { notifier, sentOn, until, events, store } = await setUp([kakao, scriptedSink("file")], {
      failoverAfter: 60_000,
    });
    const parked = until((event): event is Extract<NotifierEvent, { type: "held" }> => event.type === "held");
    await notifier.notify(alert("q-1", "critical"));
    expect((await parked).hold).toMatchObject({ reason: "quota" });
    quotaUsed = false;
    await sentOn("kakao", "q-1");
    expect(events.filter((event) => event.type === "failed")).toEqual([]);
    expect(await store.deadLetters()).toEqual([]);
  });

  it("opens a sink's breaker after consecutive failures and closes it after a good probe", async () => {
    const discord = scriptedSink("discord");
    let failing = 3;
    discord.answer = () => (failing-- > 0 ? { kind: "retry", reason: "500" } : { kind: "ok" });
    const { notifier, until, sentOn } = await setUp([discord], { maxAttempts: 10 });
    const opened = until(
      (event): event is Extract<NotifierEvent, { type: "breaker" }> =>
        event.type === "breaker" && event.to === "open",
    );
    const sent = sentOn("discord", "b-1");
    await notifier.notify(alert("b-1", "critical"));
    await opened;
    await sent;
    expect((await notifier.status()).sinks[0]!.breaker).toBe("closed");
  });

  it("holds warnings during quiet hours and sends them as one digest when they end", async () => {
    const kakao = scriptedSink("kakao", { maxLength: 200, style: "plain", digestAbove: 2 });
    let now = Date.parse("2026-01-01T23:00:00Z");
    const { notifier, until } = await setUp([kakao], {
      quietHours: { kakao: { from: 22 * 60, to: 7 * 60, timeZone: "UTC" } },
      now: () => now,
    });
    for (let index = 0; index < 5; index += 1) await notifier.notify(alert(`night-${index}`));
    const critical = until(
      (event): event is Extract<NotifierEvent, { type: "sent" }> => event.type === "sent",
    );
    await notifier.notify(alert("urgent", "critical"));
    expect((await critical).ids).toEqual(["urgent/kakao/1"]);
    const digest = until(
      (event): event is Extract<NotifierEvent, { type: "sent" }> =>
        event.type === "sent" && event.ids.length === 5,
    );
    now = Date.parse("2026-01-02T07:00:01Z");
    await digest;
    expect(kakao.sent.map((message) => message.text.split("\n")[0])).toEqual([
      "[CRITICAL] alert urgent (test)",
      "5 alerts held back (5 warning)",
    ]);
  });

  it("sends a warning Kakao cuts short whole to the next sink, and says which one has it", async () => {
    const kakao = scriptedSink("kakao", { maxLength: 200, style: "plain", digestAbove: 2 });
    const discord = scriptedSink("discord", { maxLength: 2_000, style: "markdown" });
    const { notifier, sentOn } = await setUp([kakao, discord]);
    const text = "디스크 사용량 93%. 🧑🏻‍💻 정리가 필요합니다. ".repeat(20).trim();
    const onKakao = sentOn("kakao", "long");
    const onDiscord = sentOn("discord", "long");
    expect((await notifier.notify(alert("long", "warning", text))).sinks).toEqual(["kakao", "discord"]);
    await Promise.all([onKakao, onDiscord]);
    expect(kakao.sent).toHaveLength(1);
    const full = `[WARNING] alert long (test)\n${text}`;
    const graphemes = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(full)].length;
    expect(graphemes).toBeLessThan(full.length); // the emoji and its modifier are one character to a reader
    expect(kakao.sent[0]!.text).toMatch(new RegExp(`\\(${graphemes} characters; full text on discord\\)$`));
    expect(discord.sent.map((message) => message.text).join("")).toContain(text);
  });

  it("sends a long warning whole, in pieces, when no other sink could carry its full text", async () => {
    const kakao = scriptedSink("kakao", { maxLength: 200, style: "plain", digestAbove: 2 });
    const { notifier, until } = await setUp([kakao]);
    const text = "the disk is almost full and nothing was cleaned up overnight; ".repeat(12).trim();
    const { added } = await notifier.notify(alert("alone", "warning", text));
    expect(added).toBeGreaterThan(2);
    await until(
      (event): event is Extract<NotifierEvent, { type: "sent" }> =>
        event.type === "sent" && event.ids.includes(`alone/kakao/${added}`),
    );
    expect(kakao.sent.map((message) => message.text).join(" ")).not.toContain("full text on");
    expect(kakao.sent.every((message) => message.text.length <= 200)).toBe(true);
  });

  it("refuses an alert with no text, naming it, and keeps delivering the others", async () => {
    const discord = scriptedSink("discord");
    const logs: string[] = [];
    const { notifier, sentOn } = await setUp([discord], {
      logger: { log: (_level, message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`) },
    });
    await expect(notifier.notify({ ...alert("empty"), text: "  " })).rejects.toMatchObject({
      _tag: "InvalidAlert",
      reason: 'alert "empty": text is empty: an alert must say what happened',
    });
    const bus = new EventBus();
    notifier.attach(bus);
    const next = sentOn("discord", "ok-1");
    bus.publish({
      type: "alert.raised",
      alertId: "bad",
      severity: "warning",
      source: "x",
      title: "t",
      text: "",
    });
    bus.publish({
      type: "alert.raised",
      alertId: "ok-1",
      severity: "warning",
      source: "x",
      title: "t",
      text: "fine",
    });
    await next;
    expect(logs.some((line) => line.includes("alert refused") && line.includes("text is empty"))).toBe(true);
  });

  it("holds a bus alert while the outbox is out of reach, warns once, and delivers it once it is back", async () => {
    const discord = scriptedSink("discord");
    const logs: { level: string; message: string }[] = [];
    const store = new MemoryOutboxStore();
    let outage = 3; // the next three writes fail, as while Redis restarts
    const write = store.enqueueMany.bind(store);
    store.enqueueMany = async (items) => {
      if (outage-- > 0) throw new Error("Connection is closed.");
      return write(items);
    };
    const notifier = new Notifier({
      store,
      sinks: [discord],
      ...FAST,
      logger: { log: (level, message) => logs.push({ level, message }) },
    });
    notifiers.push(notifier);
    await notifier.start();
    const bus = new EventBus();
    notifier.attach(bus);
    const sent = notifier.waitFor(
      (event): event is Extract<NotifierEvent, { type: "sent" }> => event.type === "sent",
      AbortSignal.timeout(5_000),
    );
    bus.publish({
      type: "alert.raised",
      alertId: "during-outage",
      severity: "warning",
      source: "x",
      title: "t",
      text: "kept",
    });
    await sent;
    expect(discord.sent.map((message) => message.alertId)).toEqual(["during-outage"]);
    expect(logs.filter((log) => log.level === "warn").map((log) => log.message)).toEqual([
      "notifier: the outbox is out of reach; the alert is held and retried",
    ]);
    expect(logs.some((log) => log.message.includes("alert refused"))).toBe(false);
  });

  it("accepts the ids the system monitor, the watchlist and the docs use, and refuses an empty one", async () => {
    const discord = scriptedSink("discord");
    const { notifier, sentOn } = await setUp([discord]);
    const ids = [
      "system-monitor/load",
      "system-monitor/dead-letters",
      "disk:/",
      "disk-/",
      "watchlist/005930/up",
    ];
    const sent = ids.map((id) => sentOn("discord", id));
    for (const id of ids) await notifier.notify(alert(id));
    await Promise.all(sent);
    expect(discord.sent.map((message) => message.alertId)).toEqual(ids);
    await expect(notifier.notify(alert(""))).rejects.toMatchObject({
      _tag: "InvalidAlert",
      reason: "an alert: alertId is empty",
    });
  });

  it("says on the sinks an alert reached that it is resolved", async () => {
    const discord = scriptedSink("discord");
    const kakao = scriptedSink("kakao");
    const { notifier, sentOn } = await setUp([discord, kakao]);
    const bus = new EventBus();
    notifier.attach(bus);
    const raised = sentOn("discord", "disk");
    bus.publish({
      type: "alert.raised",
      alertId: "disk",
      severity: "warning",
      source: "system-monitor",
      title: "Disk 93%",
      text: "x",
    });
    await raised;
    const resolved = sentOn("discord", "disk~resolved");
    bus.publish({ type: "alert.resolved", alertId: "disk", source: "system-monitor" });
    await resolved;
    expect(discord.sent.map((message) => message.text)).toEqual([
      "[WARNING] Disk 93% (system-monitor)\nx",
      "[INFO] Resolved: Disk 93% (system-monitor)\nDisk 93% is over.",
    ]);
    expect(kakao.sent).toEqual([]);
    expect(await notifier.resolve("never-raised")).toBeUndefined();
  });

  it("refuses a configuration that names an unknown sink", () => {
    expect(
      () =>
        new Notifier({
          store: new MemoryOutboxStore(),
          sinks: [scriptedSink("discord")],
          batch: { kakoa: "5m" },
        }),
    ).toThrow(/unknown sink "kakoa"/);
  });
});
