// A pull's progress on stderr: a bar redrawn in place on a terminal (throttled), plain lines at each
// step and quarter elsewhere.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pullProgressView } from "./pullProgress.ts";

const sink = (isTTY: boolean) => {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY, columns: 100 },
  );
  return { stream, chunks };
};

const steps = (model: string) => [
  { model, status: "pulling manifest" },
  ...[0, 500, 1_000, 1_500, 2_000, 3_000, 4_000].map((completed) => ({
    model,
    status: "pulling 6a0746a1ec1a",
    total: 4_000,
    completed,
  })),
  { model, status: "success" },
];

describe("pullProgressView", () => {
  it("redraws one line with a bar on a terminal, throttled, and ends it with a newline", () => {
    const { stream, chunks } = sink(true);
    let clock = 0;
    const view = pullProgressView(stream, () => clock);
    for (const step of steps("qwen3:8b")) {
      view.update(step);
      clock += 40;
    }
    view.done();
    expect(chunks.every((chunk) => chunk.startsWith("\r") || chunk === "\n")).toBe(true);
    expect(chunks.at(-1)).toBe("\n");
    const frames = chunks.slice(0, -1).map((chunk) => chunk.trimEnd());
    expect(frames[0]).toBe("\rpulling qwen3:8b: pulling manifest");
    expect(frames[1]).toBe(
      "\rpulling qwen3:8b: pulling 6a0746a1ec1a [------------------------]   0% 0 B / 4 kB",
    );
    expect(frames).toContain(
      "\rpulling qwen3:8b: pulling 6a0746a1ec1a [########################] 100% 4 kB / 4 kB",
    );
    expect(frames.at(-1)).toBe("\rpulling qwen3:8b: success");
    // 9 updates 40 ms apart: some are skipped, the status changes and 100% never are.
    expect(frames.length).toBeLessThan(9);
  });

  it("writes plain lines off a terminal: each step, and each quarter of a download", () => {
    const { stream, chunks } = sink(false);
    const view = pullProgressView(stream);
    for (const step of steps("qwen3:8b")) view.update(step);
    view.done();
    expect(chunks.join("")).toBe(
      [
        "pulling qwen3:8b: pulling manifest",
        "pulling qwen3:8b: pulling 6a0746a1ec1a 0% (0 B of 4 kB)",
        "pulling qwen3:8b: pulling 6a0746a1ec1a 25% (1 kB of 4 kB)",
        "pulling qwen3:8b: pulling 6a0746a1ec1a 50% (2 kB of 4 kB)",
        "pulling qwen3:8b: pulling 6a0746a1ec1a 75% (3 kB of 4 kB)",
        "pulling qwen3:8b: pulling 6a0746a1ec1a 100% (4 kB of 4 kB)",
        "pulling qwen3:8b: success",
        "",
      ].join("\n"),
    );
  });
});
