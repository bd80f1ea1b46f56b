// `troupe init`: the project's files in a new folder, and one-line errors for a missing or unusable
// folder. That the project installs and passes its test is checked from the packed packages
// (test/package/packedInstall.test.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runInit } from "./runInit.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const workDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-init-"));
  dirs.push(dir);
  return dir;
};

const init = async (args: string[], cwd: string) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runInit(args, { stdout, stderr }, cwd);
  return { code, out: String(stdout.read() ?? ""), err: String(stderr.read() ?? "") };
};

describe("troupe init", () => {
  it("writes a project with one agent, its test, a .env.example and the two commands", async () => {
    const cwd = workDir();
    const { code, out } = await init(["my-team"], cwd);
    expect(code).toBe(0);
    expect(out).toContain("cd my-team\n  npm install && npm start\n  npm test");
    const read = (path: string) => readFileSync(join(cwd, "my-team", path), "utf8");
    const manifest = JSON.parse(read("package.json")) as Record<string, Record<string, string>>;
    expect(manifest.name).toBe("my-team");
    expect(manifest.dependencies).toEqual({ "@troupe/host": "^0.1.0", "@troupe/runtime": "^0.1.0" });
    expect(manifest.scripts).toMatchObject({ start: expect.stringContaining("src/main.ts start") });
    expect(read("src/summarizer.test.ts")).toContain('from "@troupe/runtime/testing"');
    expect(read(".env.example")).toContain("MODEL_SUMMARIZER=");
    expect(read("README.md")).toContain("npm install && npm start");
  });

  it("refuses a folder in use, a bad name and a missing one, in one line each", async () => {
    const cwd = workDir();
    mkdirSync(join(cwd, "taken"));
    writeFileSync(join(cwd, "taken", "notes.txt"), "mine");
    expect(await init(["taken"], cwd)).toMatchObject({
      code: 1,
      err: `troupe init: ${join(cwd, "taken")} is not empty; nothing was written\n`,
    });
    expect(readFileSync(join(cwd, "taken", "notes.txt"), "utf8")).toBe("mine");
    expect(await init(["My Team"], cwd)).toMatchObject({
      code: 2,
      err: expect.stringContaining('"My Team"'),
    });
    expect(await init([], cwd)).toMatchObject({ code: 2, err: expect.stringContaining("name the folder") });
  });
});
