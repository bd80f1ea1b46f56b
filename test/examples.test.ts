// The examples are the README's stories: each must run to the end with one command and tell it.
import { spawn } from "node:child_process";
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
});
