// The splitter as a property: for many generated texts (long lines, code fences, emoji, blank lines)
// nothing is lost, every chunk fits, and every chunk's code fences are balanced.
import { describe, expect, it } from "vitest";
import { renderPart, splitMessage, splitMessageParts } from "./splitMessage.ts";

/** A small seeded generator (mulberry32), so a failure can be replayed from its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

const WORDS = ["alpha", "beta", "γάμμα", "😀", "🧪", "const x = 1;", "<@123>", "@everyone", "  ", "\t"];

const generate = (next: () => number): string => {
  const lines: string[] = [];
  const count = Math.floor(next() * 120);
  for (let i = 0; i < count; i += 1) {
    const kind = next();
    if (kind < 0.12) lines.push(next() < 0.5 ? "```" : `\`\`\`${next() < 0.5 ? "ts" : "python extra"}`);
    else if (kind < 0.2) lines.push("");
    else if (kind < 0.27) {
      // A line longer than any message.
      let line = "";
      const length = 1_000 + Math.floor(next() * 5_000);
      while (line.length < length) line += `${WORDS[Math.floor(next() * WORDS.length)]!} `;
      lines.push(line);
    } else {
      let line = "";
      const words = Math.floor(next() * 30);
      for (let w = 0; w < words; w += 1) line += `${WORDS[Math.floor(next() * WORDS.length)]!} `;
      lines.push(line);
    }
  }
  return lines.join("\n");
};

const fenceLines = (chunk: string) =>
  chunk.split("\n").filter((line) => line.length <= 100 && /^\s{0,3}```[^`]*$/.test(line)).length;

describe("splitMessage", () => {
  it("keeps a short text as one message", () => {
    expect(splitMessage("hello\nworld")).toEqual(["hello\nworld"]);
    expect(splitMessage("")).toEqual([]);
  });

  it("closes and reopens a code block cut in two, with its language", () => {
    const code = Array.from({ length: 200 }, (_, i) => `line ${i} of the program`).join("\n");
    const chunks = splitMessage(`intro\n\`\`\`ts\n${code}\n\`\`\`\noutro`);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]!.endsWith("\n```")).toBe(true);
    expect(chunks[1]!.startsWith("```ts\n")).toBe(true);
    for (const chunk of chunks) expect(fenceLines(chunk) % 2).toBe(0);
  });

  for (const maxChars of [2_000, 500]) {
    it(`loses nothing, fits ${maxChars} characters and balances fences (300 generated texts)`, () => {
      for (let seed = 1; seed <= 300; seed += 1) {
        const text = generate(random(seed * 7919 + maxChars));
        const parts = splitMessageParts(text, { maxChars });
        const rebuilt = parts.map((part, index) => (index === 0 ? "" : part.separator) + part.body).join("");
        expect(rebuilt, `seed ${seed}`).toBe(text);
        for (const part of parts) {
          const chunk = renderPart(part);
          expect(chunk.length, `seed ${seed}`).toBeLessThanOrEqual(maxChars);
          expect(fenceLines(chunk) % 2, `seed ${seed}: ${chunk.slice(0, 80)}`).toBe(0);
          // A cut never splits an emoji in two.
          expect(
            /[\ud800-\udbff]$/.test(part.body) || /^[\udc00-\udfff]/.test(part.body),
            `seed ${seed}`,
          ).toBe(false);
        }
      }
    });
  }

  it("ends a chunk after a paragraph break before a line break, and cuts a long line between graphemes", () => {
    const paragraphs = `${"a".repeat(120)}\n\n${"b ".repeat(30)}\n${"c".repeat(100)}`;
    expect(splitMessage(paragraphs, { maxChars: 200 })).toEqual([
      `${"a".repeat(120)}\n`,
      `${"b ".repeat(30)}\n${"c".repeat(100)}`,
    ]);
    const family = "👩‍👩‍👧‍👦";
    const korean = `안녕${family}하세요🇰🇷e\u0301`.repeat(40);
    const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
    const starts = new Set([...segmenter.segment(korean)].map((part) => part.index));
    let offset = 0;
    for (const part of splitMessageParts(korean, { maxChars: 100 })) {
      expect(starts.has(offset)).toBe(true);
      expect(renderPart(part).length).toBeLessThanOrEqual(100);
      offset += part.body.length;
    }
    expect(offset).toBe(korean.length);
  });
});
