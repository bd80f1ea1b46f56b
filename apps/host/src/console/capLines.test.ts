// Piped console input: whatever the chunking, every line comes out cut a byte past the limit, the
// newlines and the lines within the limit untouched.
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capLines } from "./capLines.ts";

const through = async (chunks: readonly Buffer[], maxBytes: number): Promise<string> => {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(capLines(maxBytes))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString("latin1");
};

describe("capLines", () => {
  it("cuts each line a byte past maxBytes, whatever the chunks, and keeps every newline", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "\n"), maxLength: 60 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        async (parts, maxBytes) => {
          const text = parts.join("");
          const expected = text
            .split("\n")
            .map((line) => line.slice(0, maxBytes + 1))
            .join("\n");
          expect(
            await through(
              parts.map((part) => Buffer.from(part, "latin1")),
              maxBytes,
            ),
          ).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
