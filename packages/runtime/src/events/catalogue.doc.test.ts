// docs/events.md documents the catalogue: every event type in the schema has its row, and no row
// names a type the schema does not have.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runtimeEventTypes } from "./catalogue.ts";

describe("docs/events.md", () => {
  it("documents exactly the event types of the catalogue", async () => {
    const page = await readFile(new URL("../../../../docs/events.md", import.meta.url), "utf8");
    const documented = [...page.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...runtimeEventTypes].sort());
  });
});
