// The docs hold together: every relative link in README.md and docs/*.md reaches a file that exists
// and, for `#anchor`, a heading of that file (GitHub's slug rules); every docs page is linked from the
// README; and the README stays a five-minute read (≤ 300 lines, none over 200 characters, diagrams
// at most 100 columns wide).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { anchorsOf, brokenLinks, columnsOf, relativeLinksOf, slugOf, splitFences } from "./markdownLinks.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pages = readdirSync(`${root}docs`)
  .filter((name) => name.endsWith(".md"))
  .map((name) => `docs/${name}`);
const readme = readFileSync(`${root}README.md`, "utf8");

describe("the checker", () => {
  it("makes anchors as GitHub does: lower case, punctuation and emoji dropped, spaces to dashes", () => {
    expect(slugOf("Local models (Ollama)")).toBe("local-models-ollama");
    expect(slugOf("Troupe as an MCP server")).toBe("troupe-as-an-mcp-server");
    expect(slugOf("`queue-throughput` and `queue_scaling`")).toBe("queue-throughput-and-queue_scaling");
    expect(slugOf("Set-up: step 1 — [the bot](x.md) ✅")).toBe("set-up-step-1--the-bot-");
    expect([...anchorsOf("# A\n```\n# not a heading\n```\n## A\n## B")]).toEqual(["a", "a-1", "b"]);
  });

  it("finds a missing file and a missing heading, and ignores links in code and to other sites", () => {
    const text = [
      "# Here",
      "[ok](#here) [gone](nowhere.md) [no heading](README.md#nope) [web](https://example.com/x.md)",
      "`[in code](nowhere.md)`",
      "```md",
      "[in a block](nowhere.md)",
      "```",
      "[wrapped",
      "text](#there)",
    ].join("\n");
    expect(relativeLinksOf(text).map((link) => link.target)).toEqual([
      "#here",
      "nowhere.md",
      "README.md#nope",
      "#there",
    ]);
    expect(brokenLinks(root, "page.md", text)).toEqual([
      "page.md:2 → nowhere.md: no file nowhere.md",
      "page.md:2 → README.md#nope: no heading #nope in README.md",
      "page.md:7 → #there: no heading #there in page.md",
    ]);
  });

  it("counts an emoji as two columns and a box-drawing character as one", () => {
    expect(columnsOf("─▶ ✅ a")).toBe(7);
    expect(columnsOf("⚙️ 한")).toBe(5);
  });
});

describe("README.md and docs/", () => {
  it.each(["README.md", ...pages])("every relative link in %s resolves", (file) => {
    expect(brokenLinks(root, file)).toEqual([]);
  });

  it("the README links every docs page", () => {
    const linked = new Set(relativeLinksOf(readme).map((link) => link.target.split("#")[0]));
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it("the README is a five-minute read: at most 300 lines, none over 200 characters", () => {
    const lines = readme.replace(/\n$/, "").split("\n");
    expect(lines.length).toBeLessThanOrEqual(300);
    const long = lines.flatMap((line, index) => ([...line].length > 200 ? [`line ${index + 1}`] : []));
    expect(long).toEqual([]);
  });

  it("no diagram in the README is wider than 100 columns", () => {
    const diagrams = splitFences(readme).blocks.filter((block) => block.info === "" || block.info === "text");
    expect(diagrams.length).toBeGreaterThan(0);
    const wide = diagrams.flatMap((block) =>
      block.lines.flatMap((line, index) =>
        columnsOf(line) > 100 ? [`line ${block.line + 1 + index}: ${columnsOf(line)} columns`] : [],
      ),
    );
    expect(wide).toEqual([]);
  });
});
