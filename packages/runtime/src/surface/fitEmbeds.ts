// Discord refuses a whole message when one of its embeds is over a limit; fitEmbeds makes a message's
// embeds fit instead of failing: each text is cut with "…", fields and embeds beyond the counts are
// left out, the 6,000 characters of one message are shared out in order, and the last embed's
// footer says how much was left out. Pure: the same embeds in, the same embeds out.
import type { SurfaceEmbed, SurfaceEmbedField } from "./Surface.ts";

/** Discord's limits on the embeds of one message. */
export const EMBED_LIMITS = {
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  author: 256,
  /** Characters across every embed of one message (titles, descriptions, fields, footers, authors). */
  total: 6_000,
  embeds: 10,
} as const;

/** Room kept for the note that says what was left out. */
const NOTE_ROOM = 160;

interface LeftOut {
  characters: number;
  fields: number;
  embeds: number;
}

/** The characters of an embed that count towards the message's total. */
export const embedLength = (embed: SurfaceEmbed): number =>
  (embed.title?.length ?? 0) +
  (embed.description?.length ?? 0) +
  (embed.footer?.text.length ?? 0) +
  (embed.author?.name.length ?? 0) +
  (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0);

const plural = (count: number, word: string) =>
  `${count.toLocaleString("en-US")} ${word}${count === 1 ? "" : "s"}`;

/** What the note at the end says, or undefined when nothing was left out. */
const noteOf = (left: LeftOut): string | undefined => {
  const parts = [
    ...(left.characters > 0 ? [plural(left.characters, "character")] : []),
    ...(left.fields > 0 ? [plural(left.fields, "field")] : []),
    ...(left.embeds > 0 ? [plural(left.embeds, "embed")] : []),
  ];
  return parts.length === 0 ? undefined : `Left out to fit Discord's limits: ${parts.join(", ")}.`;
};

/** Fit Discord's limits on one message's embeds, cutting and leaving out rather than failing. */
export const fitEmbeds = (embeds: readonly SurfaceEmbed[]): SurfaceEmbed[] => {
  const left: LeftOut = {
    characters: 0,
    fields: 0,
    embeds: Math.max(0, embeds.length - EMBED_LIMITS.embeds),
  };
  let budget = EMBED_LIMITS.total - NOTE_ROOM;
  /** `text` within `max` characters and what is left of the message's budget; "" when none is. */
  const take = (text: string, max: number): string => {
    const room = Math.min(max, budget);
    if (text.length <= room) {
      budget -= text.length;
      return text;
    }
    const kept = room <= 1 ? "" : `${text.slice(0, room - 1)}…`;
    left.characters += text.length - Math.max(0, kept.length - 1);
    budget -= kept.length;
    return kept;
  };
  const fitted: SurfaceEmbed[] = [];
  for (const embed of embeds.slice(0, EMBED_LIMITS.embeds)) {
    const fields = embed.fields ?? [];
    left.fields += Math.max(0, fields.length - EMBED_LIMITS.fields);
    const title = embed.title === undefined ? undefined : take(embed.title, EMBED_LIMITS.title);
    const author = embed.author === undefined ? undefined : take(embed.author.name, EMBED_LIMITS.author);
    const description =
      embed.description === undefined ? undefined : take(embed.description, EMBED_LIMITS.description);
    const keptFields: SurfaceEmbedField[] = [];
    for (const field of fields.slice(0, EMBED_LIMITS.fields)) {
      // A field needs a name and a value: one that no longer has room for both is left out whole.
      if (budget < 2 || budget < Math.min(field.name.length, 8) + Math.min(field.value.length, 8)) {
        left.fields += 1;
        left.characters += field.name.length + field.value.length;
        continue;
      }
      const name = take(field.name || "-", EMBED_LIMITS.fieldName);
      const value = take(field.value || "-", EMBED_LIMITS.fieldValue);
      keptFields.push({ name: name || "…", value: value || "…", ...(field.inline ? { inline: true } : {}) });
    }
    const footer = embed.footer === undefined ? undefined : take(embed.footer.text, EMBED_LIMITS.footer);
    const result: SurfaceEmbed = {
      ...(title ? { title } : {}),
      ...(author ? { author: { name: author } } : {}),
      ...(description ? { description } : {}),
      ...(keptFields.length > 0 ? { fields: keptFields } : {}),
      ...(footer ? { footer: { text: footer } } : {}),
      ...(embed.color === undefined ? {} : { color: embed.color }),
    };
    if (embedLength(result) === 0 && embedLength(embed) > 0) left.embeds += 1;
    else fitted.push(result);
  }
  const note = noteOf(left);
  const last = fitted.at(-1);
  if (note === undefined || last === undefined) return fitted;
  const footer = last.footer ? `${note} · ${last.footer.text}` : note;
  const text = footer.length <= EMBED_LIMITS.footer ? footer : `${footer.slice(0, EMBED_LIMITS.footer - 1)}…`;
  fitted[fitted.length - 1] = { ...last, footer: { text } };
  return fitted;
};
