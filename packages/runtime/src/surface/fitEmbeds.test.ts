// fitEmbeds: every one of Discord's embed limits, with inputs well over it — the result fits, cut
// texts end with "…", and the last footer says how much was left out.
import { describe, expect, it } from "vitest";
import { EMBED_LIMITS, embedLength, fitEmbeds } from "./fitEmbeds.ts";
import type { SurfaceEmbed } from "./Surface.ts";

const x = (count: number) => "x".repeat(count);
const total = (embeds: readonly SurfaceEmbed[]) => embeds.reduce((sum, embed) => sum + embedLength(embed), 0);
const note = (embeds: readonly SurfaceEmbed[]) => embeds.at(-1)?.footer?.text ?? "";

describe("fitEmbeds", () => {
  it("leaves embeds within the limits as they are", () => {
    const embeds: SurfaceEmbed[] = [
      {
        title: "Team",
        description: "all well",
        fields: [{ name: "echo", value: "idle", inline: true }],
        footer: { text: "queue: 0" },
        author: { name: "troupe" },
        color: 0x2ecc71,
      },
    ];
    expect(fitEmbeds(embeds)).toEqual(embeds);
  });

  it("cuts a title, an author, a description, a field name and value and a footer to their limits", () => {
    const [fitted] = fitEmbeds([
      {
        title: x(1_000),
        author: { name: x(1_000) },
        description: x(1_000),
        fields: [{ name: x(300), value: x(2_000) }],
        footer: { text: x(100) },
      },
    ]);
    expect(fitted!.title).toBe(`${x(EMBED_LIMITS.title - 1)}…`);
    expect(fitted!.author!.name).toBe(`${x(EMBED_LIMITS.author - 1)}…`);
    expect(fitted!.description).toBe(x(1_000));
    expect(fitted!.fields![0]!.name).toBe(`${x(EMBED_LIMITS.fieldName - 1)}…`);
    expect(fitted!.fields![0]!.value).toBe(`${x(EMBED_LIMITS.fieldValue - 1)}…`);
    const left = 1_000 - 255 + (1_000 - 255) + (300 - 255) + (2_000 - 1_023);
    expect(fitted!.footer!.text).toBe(
      `Left out to fit Discord's limits: ${left.toLocaleString("en-US")} characters. · ${x(100)}`,
    );
  });

  it("cuts a description over 4,096 characters and a footer over 2,048", () => {
    const [long] = fitEmbeds([{ description: x(5_000) }]);
    expect(long!.description).toHaveLength(EMBED_LIMITS.description);
    expect(long!.description!.endsWith("…")).toBe(true);
    const [footed] = fitEmbeds([{ footer: { text: x(3_000) } }]);
    expect(footed!.footer!.text.length).toBeLessThanOrEqual(EMBED_LIMITS.footer);
    expect(footed!.footer!.text).toMatch(/^Left out to fit Discord's limits: 9\d\d characters\. · x+…$/);
  });

  it("keeps 25 fields and says how many more were left out", () => {
    const fields = Array.from({ length: 40 }, (_, index) => ({ name: `agent-${index}`, value: "idle" }));
    const [fitted] = fitEmbeds([{ title: "Agents", fields }]);
    expect(fitted!.fields).toHaveLength(EMBED_LIMITS.fields);
    expect(fitted!.fields!.at(-1)!.name).toBe("agent-24");
    expect(note([fitted!])).toBe("Left out to fit Discord's limits: 15 fields.");
  });

  it("keeps 10 embeds and says how many more were left out", () => {
    const fitted = fitEmbeds(Array.from({ length: 13 }, (_, index) => ({ title: `part ${index}` })));
    expect(fitted).toHaveLength(EMBED_LIMITS.embeds);
    expect(note(fitted)).toBe("Left out to fit Discord's limits: 3 embeds.");
  });

  it("keeps one message's embeds within 6,000 characters in all, in order", () => {
    const embeds = Array.from({ length: 4 }, (_, index) => ({
      title: `part ${index}`,
      description: x(4_000),
      fields: [{ name: "more", value: x(1_000) }],
    }));
    const fitted = fitEmbeds(embeds);
    expect(total(fitted)).toBeLessThanOrEqual(EMBED_LIMITS.total);
    expect(fitted[0]!.description).toBe(x(4_000));
    expect(fitted[0]!.fields![0]!.value).toBe(x(1_000));
    expect(note(fitted)).toMatch(
      /^Left out to fit Discord's limits: [\d,]+ characters, \d fields?(, \d embeds?)?\.$/,
    );
    for (const embed of fitted) for (const field of embed.fields ?? []) expect(field.value).not.toBe("");
  });

  it("fits a 40-agent status of two embeds at once", () => {
    const fields = Array.from({ length: 40 }, (_, index) => ({
      name: `agent-${index}`,
      value: `working · closed · queue 3 · ${x(200)}`,
      inline: true,
    }));
    const fitted = fitEmbeds([{ title: "Team", fields: fields.slice(0, 25) }, { fields: fields.slice(25) }]);
    expect(total(fitted)).toBeLessThanOrEqual(EMBED_LIMITS.total);
    expect(fitted[0]!.fields!.length).toBeGreaterThan(10);
    expect(note(fitted)).toMatch(/ 15 fields, 1 embed\.$/);
  });
});
