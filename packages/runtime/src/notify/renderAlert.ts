// Each sink's rendering of an alert: Discord gets markdown with a bold title, the Kakao and
// webhook sinks plain text with the severity in brackets; then the text is cut to the sink's
// limit. An alert that would take more Kakao messages than `digestAbove` goes as one short digest
// that links to the full text or names the sink that has it, and is sent whole when there is
// neither; a batch of alerts (quiet hours, batching) goes as one digest message. Lengths shown to
// people count graphemes, as they see characters.

import { chunkText } from "../text/chunkText.ts";
import type { Alert } from "./Alert.ts";
import type { SinkFormat } from "./Sink.ts";

const LABEL = { info: "INFO", warning: "WARNING", critical: "CRITICAL" } as const;
const ICON = { info: "ℹ️", warning: "⚠️", critical: "🚨" } as const;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The longest prefix of `text` within `max` code units that ends on a grapheme boundary, with "…" if cut. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let out = "";
  for (const { segment } of segmenter.segment(text)) {
    if (out.length + segment.length > max - 1) break;
    out += segment;
  }
  return `${out}…`;
};

const fieldLines = (alert: Alert) =>
  Object.entries(alert.fields ?? {}).map(([name, value]) => `${name}: ${String(value)}`);

/** The whole alert as one text in the sink's style, before cutting. */
export const alertText = (alert: Alert, style: SinkFormat["style"]): string => {
  const head =
    style === "markdown"
      ? `${ICON[alert.severity]} **${alert.title}** (${alert.severity}, ${alert.source})`
      : `[${LABEL[alert.severity]}] ${alert.title} (${alert.source})`;
  const body = [alert.text.trim(), ...fieldLines(alert)].join("\n");
  const link = alert.link && style === "markdown" ? `\n${alert.link}` : "";
  return `${head}\n${body}${link}`;
};

export interface RenderedChunk {
  readonly text: string;
  readonly chunk: number;
  readonly chunks: number;
}

/** Characters as people count them: "한국어" is 3, a family emoji 1 (UTF-16 would say 3 and 11). */
export const graphemeCount = (text: string): number => {
  let count = 0;
  for (const _ of segmenter.segment(text)) count += 1;
  return count;
};

/** Whether this sink would send the alert cut short (a digest) if another sink had its full text. */
export const cutsShort = (alert: Alert, format: SinkFormat): boolean =>
  format.digestAbove !== undefined &&
  alert.link === undefined &&
  chunkText(alertText(alert, format.style), format.maxLength).length > format.digestAbove;

/**
 * The messages one alert becomes on a sink of this format. `wholeOn` names the sink that gets the
 * full text; without it (and without a link) an alert too long for a digest is sent whole, in
 * pieces, so a digest never promises a text nobody receives.
 */
export const renderAlert = (alert: Alert, format: SinkFormat, wholeOn?: string): RenderedChunk[] => {
  const full = alertText(alert, format.style);
  const pieces = chunkText(full, format.maxLength);
  const elsewhere = alert.link ?? wholeOn;
  if (format.digestAbove !== undefined && pieces.length > format.digestAbove && elsewhere !== undefined) {
    const head = `[${LABEL[alert.severity]}] ${alert.title}`;
    const tail = alert.link
      ? "\n(full text: link below)"
      : `\n(${graphemeCount(full)} characters; full text on ${wholeOn})`;
    const room = format.maxLength - head.length - tail.length - 1;
    const preview = room > 10 ? `\n${truncate(alert.text.trim().replace(/\s+/g, " "), room)}` : "";
    return [{ text: truncate(`${head}${preview}${tail}`, format.maxLength), chunk: 1, chunks: 1 }];
  }
  return pieces.map((piece, index) => ({ text: piece.text, chunk: index + 1, chunks: pieces.length }));
};

export interface DigestItem {
  readonly severity: Alert["severity"];
  readonly title: string;
  readonly at: number;
}

/** Several held alerts (quiet hours, batching) as messages of a digest: a count, then one line each. */
export const renderDigest = (items: readonly DigestItem[], format: SinkFormat): RenderedChunk[] => {
  const counts = (["critical", "warning", "info"] as const)
    .map((severity) => [severity, items.filter((item) => item.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  const head =
    format.style === "markdown"
      ? `**${items.length} alerts held back** (${counts.join(", ")})`
      : `${items.length} alerts held back (${counts.join(", ")})`;
  const lines = items.map((item) => `• [${LABEL[item.severity]}] ${item.title}`);
  if (format.digestAbove !== undefined) {
    // One message only: as many titles as fit, then how many more.
    let text = head;
    let shown = 0;
    for (const line of lines) {
      const more = items.length - shown - 1;
      const candidate = `${text}\n${line}`;
      const reserve = more > 0 ? `\n… and ${more} more`.length : 0;
      if (candidate.length + reserve > format.maxLength) break;
      text = candidate;
      shown += 1;
    }
    if (shown < items.length) text += `\n… and ${items.length - shown} more`;
    return [{ text: truncate(text, format.maxLength), chunk: 1, chunks: 1 }];
  }
  const pieces = chunkText([head, ...lines].join("\n"), format.maxLength);
  return pieces.map((piece, index) => ({ text: piece.text, chunk: index + 1, chunks: pieces.length }));
};
