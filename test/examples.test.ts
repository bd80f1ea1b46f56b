// The examples are the README's stories: each must run to the end with one command and tell it.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

const runExample = (file: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=troupe-source", `examples/${file}`], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });

describe("examples", () => {
  it("fan-out: 'any' takes the fast reviewer and cancels the other, 'all' waits for both", async () => {
    const { code, stdout, stderr } = await runExample("fan-out.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [any, all] = stdout.split('join "all"');
    expect(any).toMatch(/cancelled branches: thorough-reviewer/);
    expect(all).toMatch(/✔ fast-reviewer[\s\S]*✔ thorough-reviewer[\s\S]*cancelled branches: none/);
  });

  it("crash-restart: crashes restart the agent, the breaker opens, fails fast, half-opens and closes", async () => {
    const { code, stdout } = await runExample("crash-restart.ts");
    expect(code).toBe(0);
    const order = [
      "agent.restarted",
      "closed → open",
      "BreakerOpen",
      "open → half_open",
      "half_open → closed",
      "status: parser breaker closed, 3 restarts",
    ].map((text) => stdout.indexOf(text));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("team: the README's 20-line example is this file, and it runs", async () => {
    const readme = await readFile(`${root}README.md`, "utf8");
    const snippet = /```ts\n(import \{ createSupervisor[\s\S]*?)```/.exec(readme)?.[1];
    const file = await readFile(`${root}examples/team.ts`, "utf8");
    expect(file.slice(file.indexOf("\n") + 1)).toBe(snippet);
    expect(snippet?.split("\n").filter((line) => line.trim() !== "").length).toBeLessThanOrEqual(20);
    const { code, stdout } = await runExample("team.ts");
    expect(code).toBe(0);
    expect(stdout).toMatch(/task\.queued[\s\S]*task\.succeeded[\s\S]*summary: 'the incident report …'/);
  });

  it("machine-agent: a second team resumes the saved release awaiting approval, its check not run again", async () => {
    const { code, stdout, stderr } = await runExample("machine-agent.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("first team: saved awaiting approval after 1 check run");
    expect(stdout).toMatch(/second team: \{ released: true, approvedBy: 'ana'.*checks run in all: 1/);
  });
});
