// The real `troupe start` keeps its files to their owner: a fresh data folder is 0700 with every
// file 0600 (store and memory files with their -wal/-shm, alert files) and nothing to tighten; a
// data folder left open by an older troupe is tightened at start with one log line, Troupe's own
// files only, and not again on the next start.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

const TIGHTENED = "troupe's files were readable by other users: made private (folders 0700, files 0600)";
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Every folder and file under `dir`, with its mode (a temporary file renamed meanwhile is skipped). */
const modesUnder = (dir: string): Record<string, number> => {
  const out: Record<string, number> = { ".": modeOf(dir) };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = statSync(path, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined) out[path.slice(dir.length + 1)] = mode & 0o777;
  }
  return out;
};

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(process.platform === "win32")("troupe start's files", () => {
  it("are made private: folders 0700, files 0600, while it runs and after", async () => {
    root = mkdtempSync(join(tmpdir(), "troupe-private-"));
    const dataDir = join(root, "data");
    // An unknown sink in the order is a configuration problem: said as an alert, in the file drop.
    const troupe = spawnTroupe(["start"], { TROUPE_DATA_DIR: dataDir, TROUPE_NOTIFY_ORDER: "nowhere,file" });
    await troupe.log("troupe started");
    troupe.send("/ask echo my api key is hunter2");
    await troupe.line(/✅ done$/);
    await expect
      .poll(() => readdirSync(join(dataDir, "alerts")).some((name) => name.endsWith(".json")))
      .toBe(true);
    const running = modesUnder(dataDir);
    expect(Object.keys(running)).toEqual(
      expect.arrayContaining([
        "default.sqlite",
        "default.sqlite-wal",
        "default.sqlite-shm",
        "alerts",
        "traces",
      ]),
    );
    const folders = [".", "alerts", "traces"];
    for (const [path, mode] of Object.entries(running))
      expect([path, mode.toString(8)]).toEqual([path, folders.includes(path) ? "700" : "600"]);
    troupe.end();
    expect(await troupe.exited).toBe(0);
    for (const [path, mode] of Object.entries(modesUnder(dataDir)))
      expect([path, mode & 0o077]).toEqual([path, 0]);
    expect(troupe.logs.map((record) => record.msg)).not.toContain(TIGHTENED);
  });

  it("are tightened when an older troupe left them open, once, with one line, and only Troupe's", async () => {
    root = mkdtempSync(join(tmpdir(), "troupe-private-"));
    const dataDir = join(root, "data");
    mkdirSync(join(dataDir, "alerts"), { recursive: true });
    writeFileSync(join(dataDir, "default.sqlite"), "");
    writeFileSync(join(dataDir, "alerts", "old-alert.json"), "{}\n");
    writeFileSync(join(dataDir, "notes.txt"), "mine\n");
    for (const path of [dataDir, join(dataDir, "alerts")]) chmodSync(path, 0o755);
    for (const path of ["default.sqlite", "alerts/old-alert.json", "notes.txt"])
      chmodSync(join(dataDir, path), 0o644);

    const first = spawnTroupe(["start"], { TROUPE_DATA_DIR: dataDir });
    const line = await first.log(TIGHTENED);
    first.end();
    expect(await first.exited).toBe(0);
    expect(line).toMatchObject({ level: "warn", count: 4 });
    expect(first.logs.filter((record) => record.msg === TIGHTENED)).toHaveLength(1);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, "alerts"))).toBe(0o700);
    expect(modeOf(join(dataDir, "default.sqlite"))).toBe(0o600);
    expect(modeOf(join(dataDir, "alerts", "old-alert.json"))).toBe(0o600);
    expect(modeOf(join(dataDir, "notes.txt"))).toBe(0o644);

    const second = spawnTroupe(["start"], { TROUPE_DATA_DIR: dataDir });
    await second.log("troupe started");
    second.end();
    expect(await second.exited).toBe(0);
    expect(second.logs.map((record) => record.msg)).not.toContain(TIGHTENED);
  });
});
