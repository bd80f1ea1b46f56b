// Trace files: a new file per start, per UTC day and past the size bound; only the newest `retain`
// kept; the folder 0700 and the files 0600 whatever the umask.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { finished } from "node:stream/promises";
import { afterEach, describe, expect, it } from "vitest";
import { listTraceFiles, TraceFiles } from "./TraceFiles.ts";

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

const write = (files: TraceFiles, line: string) =>
  new Promise<void>((resolve, reject) =>
    files.write(`${line}\n`, (error) => (error ? reject(error) : resolve())),
  );

describe("TraceFiles", () => {
  it("rotates per day and size, prunes to retain, and keeps them private", async () => {
    root = mkdtempSync(join(tmpdir(), "troupe-traces-"));
    const dir = join(root, "traces");
    let now = Date.UTC(2026, 11, 7, 23, 59, 0);
    const files = new TraceFiles({ dir, retain: 2, maxFileBytes: 20, clock: { now: () => now } });
    await write(files, "first of the day");
    await write(files, "x"); // still fits: 17 + 2 bytes
    now += 1_000;
    await write(files, "too big for the file"); // past 20 bytes: a new file
    now += 60_000; // the next UTC day
    await write(files, "next day");
    files.end();
    await finished(files);

    const kept = await listTraceFiles(dir);
    expect(kept.map((path) => basename(path))).toEqual([
      "trace-20261207T235901Z.jsonl",
      "trace-20261208T000001Z.jsonl",
    ]);
    expect(readFileSync(kept[1]!, "utf8")).toBe("next day\n");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const path of kept) expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("orders the files of one second as they were made, and says when it starts another", async () => {
    root = mkdtempSync(join(tmpdir(), "troupe-traces-"));
    const dir = join(root, "traces");
    const files = new TraceFiles({ dir, retain: 20, maxFileBytes: 1, clock: { now: () => 0 } });
    const rotated: string[] = [];
    files.on("rotated", (path: string) => rotated.push(basename(path)));
    for (let n = 0; n < 12; n += 1) await write(files, `line ${n}`);
    files.end();
    await finished(files);

    const kept = await listTraceFiles(dir);
    expect(kept.map((path) => readFileSync(path, "utf8"))).toEqual(
      Array.from({ length: 12 }, (_, n) => `line ${n}\n`),
    );
    expect(basename(files.firstPath!)).toBe("trace-19700101T000000Z.jsonl");
    expect(rotated).toEqual(kept.slice(1).map((path) => basename(path)));
    expect(rotated.at(-1)).toBe("trace-19700101T000000Z-11.jsonl");
  });

  it("refuses a retain below 1", () => {
    root = mkdtempSync(join(tmpdir(), "troupe-traces-"));
    expect(() => new TraceFiles({ dir: root, retain: 0 })).toThrow(
      /retain must be a whole number of at least 1/,
    );
  });
});
