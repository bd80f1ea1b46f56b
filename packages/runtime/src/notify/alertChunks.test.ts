// Chunking keeps everything and cuts nothing in half: a property test over random mixes of Korean,
// emoji (with skin tones, flags and ZWJ families), combining marks, code and blank lines, with a
// seeded generator so a failure is reproducible; plus the suffix budget and the Kakao digest.
import { describe, expect, it } from "vitest";
import { chunkText } from "../text/chunkText.ts";
import type { Alert } from "./Alert.ts";
import { renderAlert, renderDigest } from "./renderAlert.ts";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const graphemeStarts = (text: string) => new Set([...segmenter.segment(text)].map((part) => part.index));

/** mulberry32: small, seeded, good enough to explore inputs. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

const PIECES = [
  "안녕하세요",
  "서버 부하가 높습니다",
  "디스크 사용량 93%",
  "👍🏽",
  "🇰🇷",
  "👩‍👩‍👧‍👦",
  "🧑🏻‍💻",
  "e\u0301",
  "한\u0300",
  "const x = await fetch(url);",
  "if (load > 1.5) { alert(); }",
  "`npm run bench`",
  " ",
  " ",
  "\n",
  "\n\n",
  "```ts\nlet a = 1;\n```",
  "ok.",
];

const mixedText = (next: () => number, length: number) => {
  let text = "";
  while (text.length < length) text += PIECES[Math.floor(next() * PIECES.length)]!;
  return text;
};

describe("chunkText", () => {
  it("keeps every character and never cuts a grapheme, for 5,000 characters of mixed text (property)", () => {
    for (let seed = 1; seed <= 60; seed += 1) {
      const next = random(seed);
      const text = mixedText(next, 5_000);
      for (const limit of [200, 2_000, 37]) {
        const chunks = chunkText(text, limit);
        expect(chunks.map((chunk) => chunk.body).join(""), `seed ${seed}, limit ${limit}`).toBe(text);
        const starts = graphemeStarts(text);
        let offset = 0;
        for (const [index, chunk] of chunks.entries()) {
          expect(chunk.text.length, `seed ${seed}, limit ${limit}`).toBeLessThanOrEqual(limit);
          expect(
            starts.has(offset),
            `seed ${seed}, limit ${limit}: chunk ${index + 1} starts mid-grapheme`,
          ).toBe(true);
          // A chunk that starts or ends inside a code block gets its fence reopened or closed around it.
          expect(chunk.text).toContain(chunk.body.trimEnd());
          if (chunks.length > 1) expect(chunk.text.endsWith(` (${index + 1}/${chunks.length})`)).toBe(true);
          offset += chunk.body.length;
        }
      }
    }
  }, 30_000); // 60 texts of 5,000 characters: about a second alone, more on a loaded machine

  it("prefers paragraph breaks, then line breaks, and leaves a short text whole", () => {
    expect(chunkText("short", 200)).toEqual([{ body: "short", text: "short" }]);
    const paragraphs = `${"a".repeat(120)}\n\n${"b".repeat(120)}`;
    expect(chunkText(paragraphs, 200).map((chunk) => chunk.text)).toEqual([
      `${"a".repeat(120)} (1/2)`,
      `${"b".repeat(120)} (2/2)`,
    ]);
    const lines = `${"c".repeat(100)}\n${"d".repeat(100)}\n${"e".repeat(100)}`;
    expect(chunkText(lines, 200).map((chunk) => chunk.body)).toEqual([
      `${"c".repeat(100)}\n`,
      `${"d".repeat(100)}\n`,
      "e".repeat(100),
    ]);
  });

  it("reserves room for a two-digit suffix when there are ten chunks or more", () => {
    const chunks = chunkText("가".repeat(2_000), 200);
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(200);
    expect(chunks.at(-1)!.text).toMatch(/ \(\d+\/\d+\)$/);
  });
});

describe("renderAlert", () => {
  const alert: Alert = {
    alertId: "a-1",
    severity: "warning",
    source: "system-monitor",
    title: "디스크 거의 가득 참",
    text: "디스크 사용량 93%. 🧑🏻‍💻 정리가 필요합니다.\n".repeat(100),
    link: "https://grafana.example/d/troupe",
    at: 0,
  };

  it("sends long content to Kakao as one short digest with the link, within 200 characters", () => {
    const [only, ...rest] = renderAlert(alert, { maxLength: 200, style: "plain", digestAbove: 2 });
    expect(rest).toEqual([]);
    expect(only!.text.length).toBeLessThanOrEqual(200);
    expect(only!.text.startsWith("[WARNING] 디스크 거의 가득 참")).toBe(true);
    expect(graphemeStarts(alert.text.replace(/\s+/g, " ")).size).toBeGreaterThan(0);
  });

  it("cuts the same alert into 2,000-character markdown messages for Discord", () => {
    const chunks = renderAlert(alert, { maxLength: 2_000, style: "markdown" });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]!.text.startsWith("⚠️ **디스크 거의 가득 참** (warning, system-monitor)")).toBe(true);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(2_000);
  });

  it("makes one Kakao digest out of a night of warnings", () => {
    const items = Array.from({ length: 30 }, (_, index) => ({
      severity: "warning" as const,
      title: `경고 ${index}`,
      at: index,
    }));
    const [digest, ...rest] = renderDigest(items, { maxLength: 200, style: "plain", digestAbove: 2 });
    expect(rest).toEqual([]);
    expect(digest!.text.length).toBeLessThanOrEqual(200);
    expect(digest!.text).toMatch(/^30 alerts held back \(30 warning\)/);
    expect(digest!.text).toMatch(/… and \d+ more$/);
  });
});
