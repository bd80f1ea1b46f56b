// Test support: what the docs test needs to read Markdown the way GitHub renders it — headings and
// their anchors (GitHub's slug rules), relative links outside code, fenced blocks, and how many
// columns a line takes in a terminal (emoji and CJK count two).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

export interface FencedBlock {
  /** The info string after the opening fence ("" for none, e.g. a diagram). */
  readonly info: string;
  readonly lines: readonly string[];
  /** 1-based line number of the opening fence. */
  readonly line: number;
}

export interface MarkdownLink {
  readonly target: string;
  /** 1-based line number where the link starts. */
  readonly line: number;
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/;

/** The fenced code blocks of a Markdown text, and the text with them blanked (line numbers kept). */
export const splitFences = (text: string): { readonly prose: string; readonly blocks: FencedBlock[] } => {
  const blocks: FencedBlock[] = [];
  const prose: string[] = [];
  let open: { fence: string; info: string; line: number; lines: string[] } | undefined;
  text.split("\n").forEach((line, index) => {
    const fence = FENCE.exec(line);
    if (open) {
      if (fence && fence[1]!.startsWith(open.fence) && line.trim() === fence[1]) {
        blocks.push({ info: open.info, lines: open.lines, line: open.line });
        open = undefined;
      } else open.lines.push(line);
      prose.push("");
    } else if (fence) {
      open = { fence: fence[1]!, info: fence[2] ?? "", line: index + 1, lines: [] };
      prose.push("");
    } else prose.push(line);
  });
  return { prose: prose.join("\n"), blocks };
};

/** A heading's text as GitHub shows it: code, links and emphasis reduced to their words. */
const renderedText = (heading: string) =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*{1,3}|_{2,3})(\S[\s\S]*?)\1/g, "$2")
    .replace(/<[^>]+>/g, "");

/** GitHub's anchor for a heading: lower-case, punctuation and symbols dropped, each space a "-". */
export const slugOf = (heading: string): string =>
  renderedText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");

/** Every anchor a Markdown text defines: its headings' slugs, repeats numbered as GitHub does. */
export const anchorsOf = (text: string): Set<string> => {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of splitFences(text).prose.split("\n")) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!heading) continue;
    const slug = slugOf(heading[1]!);
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  return anchors;
};

/** The links of a Markdown text that point inside the repository: no scheme, outside code. */
export const relativeLinksOf = (text: string): MarkdownLink[] => {
  const prose = splitFences(text).prose.replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
  const links: MarkdownLink[] = [];
  for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
    links.push({ target, line: prose.slice(0, match.index).split("\n").length });
  }
  return links;
};

/** What is wrong with each relative link of `file` (a path inside `root`): a missing file or anchor. */
export const brokenLinks = (root: string, file: string, text = readFileSync(join(root, file), "utf8")) => {
  const problems: string[] = [];
  for (const { target, line } of relativeLinksOf(text)) {
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === "" ? join(root, file) : join(root, dirname(file), path);
    const where = `${file}:${line} → ${target}`;
    if (path !== "" && !existsSync(resolved)) {
      problems.push(`${where}: no file ${relative(root, resolved)}`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith(".md")) continue;
    const own = path === "" ? text : readFileSync(resolved, "utf8");
    if (!anchorsOf(own).has(anchor))
      problems.push(`${where}: no heading #${anchor} in ${relative(root, resolved)}`);
  }
  return problems;
};

/** Emoji shown as emoji, and the East Asian wide ranges (Hangul, CJK, full-width forms). */
const WIDE =
  /\p{Emoji_Presentation}|[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]/u;

/** Columns a line takes in a monospace terminal: wide characters (emoji, CJK) count two. */
export const columnsOf = (line: string): number => {
  let columns = 0;
  for (const char of line) {
    // U+FE0F asks for the emoji form of the character before it (⚙️), which is two columns wide.
    if (char === "\ufe0f") columns += 1;
    if (/[\u200d\ufe0e\ufe0f]|\p{Mn}/u.test(char)) continue;
    columns += WIDE.test(char) ? 2 : 1;
  }
  return columns;
};
