// Test support for the docs-as-tests check: the code blocks of README.md and docs/*.md with the
// directive written in an HTML comment right above each (invisible on GitHub):
//   <!-- illustrative: why it is not run -->   shown, not run (TypeScript is still typechecked)
//   <!-- prelude: TypeScript -->               hidden set-up the block needs (imports, a `team`)
// A block's language decides what is done with it: `ts` is typechecked and run, `sh` run by bash,
// `json` parsed; an untagged block is a diagram or a transcript, not code.
import { readFileSync } from "node:fs";
import { splitFences } from "./markdownLinks.ts";

export interface DocBlock {
  /** "README.md" or "docs/x.md", and the 1-based line of the opening fence. */
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  /** The reason given by an `illustrative:` directive, if any. */
  readonly illustrative?: string;
  readonly prelude?: string;
}

const DIRECTIVE = /<!--\s*(illustrative|prelude):\s*([\s\S]*?)\s*-->\s*$/;

/** The directives in the HTML comments that end right above line `fence` (1-based). */
const directivesAbove = (lines: readonly string[], fence: number) => {
  const found: { illustrative?: string; prelude?: string } = {};
  let end = fence - 2; // the line above the fence, 0-based
  while (end >= 0 && lines[end]!.trim().endsWith("-->")) {
    let start = end;
    while (start > 0 && !lines[start]!.includes("<!--")) start -= 1;
    const comment = DIRECTIVE.exec(lines.slice(start, end + 1).join("\n"));
    if (!comment) break;
    found[comment[1] as "illustrative" | "prelude"] = comment[2]!;
    end = start - 1;
  }
  return found;
};

/** Every fenced block of a Markdown file, with its directives. */
export const docBlocksOf = (root: string, file: string): DocBlock[] => {
  const text = readFileSync(`${root}${file}`, "utf8");
  const lines = text.split("\n");
  return splitFences(text).blocks.map((block) => ({
    file,
    line: block.line,
    lang: block.info,
    code: block.lines.join("\n"),
    ...directivesAbove(lines, block.line),
  }));
};

/** A file name for the block: `docs/redis.md` line 60 → `docs-redis-60`. */
export const blockName = (block: DocBlock): string =>
  `${block.file.replace(/\.md$/, "").replace(/[^a-zA-Z0-9]+/g, "-")}-${block.line}`;
