// Test support: Discord's limits on a message's embeds, checked the way Discord checks them (it
// refuses the whole message with 400 when one is broken), written apart from the runtime's fitEmbeds
// so the stand-in is an independent judge of it.

interface ApiEmbed {
  readonly title?: string;
  readonly description?: string;
  readonly fields?: readonly { readonly name?: string; readonly value?: string }[];
  readonly footer?: { readonly text?: string };
  readonly author?: { readonly name?: string };
}

/** The first limit the embeds break, as Discord would name it; undefined when they fit. */
export const embedLimitBroken = (embeds: unknown): string | undefined => {
  if (embeds === undefined) return undefined;
  if (!Array.isArray(embeds)) return "embeds must be a list";
  if (embeds.length > 10) return "embeds: at most 10";
  let total = 0;
  for (const [index, embed] of (embeds as ApiEmbed[]).entries()) {
    const at = `embeds.${index}`;
    const texts: [string, string | undefined, number][] = [
      ["title", embed.title, 256],
      ["description", embed.description, 4_096],
      ["footer.text", embed.footer?.text, 2_048],
      ["author.name", embed.author?.name, 256],
    ];
    const fields = embed.fields ?? [];
    if (fields.length > 25) return `${at}.fields: at most 25`;
    for (const [field, { name, value }] of fields.entries()) {
      if (!name || !value) return `${at}.fields.${field}: name and value are required`;
      texts.push([`fields.${field}.name`, name, 256], [`fields.${field}.value`, value, 1_024]);
    }
    for (const [name, text, max] of texts) {
      if ((text?.length ?? 0) > max) return `${at}.${name}: must be ${max} or fewer in length`;
      total += text?.length ?? 0;
    }
  }
  return total > 6_000 ? "embeds: 6000 characters in all at most" : undefined;
};
