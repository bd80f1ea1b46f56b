// The packages as a user gets them: packed once (prepack builds dist/), then installed outside the
// repository with plain Node (no custom conditions) from the local npm cache. The core alone brings
// xstate and effect, runs and typechecks the README's team (tsc --strict, no skipLibCheck) and names
// a missing peer in one line; the host installed globally answers --help and a piped console; and
// `troupe init` makes a project that installs, typechecks, passes its test and starts.
import { type SpawnOptions, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const tsc = join(repoRoot, "node_modules/.bin/tsc");

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Nothing of the repository's npm run or of other tests leaks in: no npm_* settings, no
// NODE_OPTIONS (conditions), no Redis or Discord; this Node (24) first on the path.
const { NODE_OPTIONS: _options, REDIS_URL: _redis, DISCORD_TOKEN: _token, ...inherited } = process.env;
const cleanEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(inherited).filter(([name]) => !/^(npm_|TROUPE_)/i.test(name))),
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  npm_config_update_notifier: "false",
};

const run = (command: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(command, args, { env: cleanEnv, ...options, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(options.input ?? "");
  });

/** Run and expect exit 0, or fail with everything it printed. */
const ok = async (
  command: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string } = {},
) => {
  const ran = await run(command, args, options);
  if (ran.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran;
};

const npmInstall = (cwd: string, specs: readonly string[], extra: readonly string[] = []) =>
  ok(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...extra, ...specs],
    {
      cwd,
    },
  );

const readmeTeam = () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## A team in 20 lines"));
  return /```ts\n([\s\S]*?)```/.exec(section)![1]!;
};

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));

/**
 * The host's tarball as the registry would serve it, except that its two @troupe dependencies point
 * at their tarballs: `npm i -g` of it nests them in the host's own node_modules, beside the
 * libraries it brings (discord.js, ioredis, ollama, …), as an install from the registry does.
 */
const asPublished = async (hostTarball: string): Promise<string> => {
  const dir = join(work, "as-published");
  mkdirSync(dir);
  await ok("tar", ["xzf", hostTarball, "-C", dir]);
  const manifestPath = join(dir, "package/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies: Record<string, string> };
  manifest.dependencies["@troupe/runtime"] = `file:${tarballs.runtime}`;
  manifest.dependencies["@troupe/agents"] = `file:${tarballs.agents}`;
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const tarball = join(dir, "troupe-host.tgz");
  await ok("tar", ["czf", tarball, "-C", dir, "package"]);
  return tarball;
};

/** The core alone, with @types/node for tsc, in a project of its own. */
const installLight = async (): Promise<string> => {
  const project = join(work, "light");
  mkdirSync(project);
  const typesNode = JSON.parse(readFileSync(join(repoRoot, "node_modules/@types/node/package.json"), "utf8"));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "light",
      private: true,
      type: "module",
      devDependencies: { "@types/node": typesNode.version },
    }),
  );
  await npmInstall(project, [tarballs.runtime]);
  return project;
};

/** `npm i -g` of the host into a prefix of its own; the `troupe` executable it links. */
const installGlobal = async (): Promise<string> => {
  const prefix = join(work, "global");
  await npmInstall(work, [await asPublished(tarballs.host)], ["--global", "--prefix", prefix]);
  return join(prefix, "bin/troupe");
};

/** `troupe init my-team` with the global troupe, then the project's npm install. */
const initMyTeam = async (troupe: string): Promise<string> => {
  await ok(troupe, ["init", "my-team"], { cwd: work });
  const project = join(work, "my-team");
  // The packages are not on the registry: the project takes them from the tarballs.
  await npmInstall(project, [tarballs.runtime, tarballs.agents, tarballs.host]);
  return project;
};

const installs = {} as { light: Promise<string>; global: Promise<string>; myTeam: Promise<string> };
let work: string;
const tarballs: Record<"runtime" | "agents" | "host", string> = { runtime: "", agents: "", host: "" };
let packed: { name: string; files: { path: string }[] }[];

// One pack of the three packages; each group below installs them once and reuses the install.
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "troupe-packed-"));
  const destination = join(work, "tarballs");
  mkdirSync(destination);
  const { stdout } = await ok(
    "npm",
    [
      "pack",
      "--json",
      "--pack-destination",
      destination,
      "-w",
      "packages/runtime",
      "-w",
      "packages/agents",
      "-w",
      "apps/host",
    ],
    { cwd: repoRoot, env: { ...cleanEnv, npm_config_loglevel: "error" } },
  );
  packed = JSON.parse(stdout.slice(stdout.indexOf("["))) as typeof packed;
  for (const pack of packed as ((typeof packed)[number] & { filename: string })[])
    tarballs[pack.name.replace("@troupe/", "") as keyof typeof tarballs] = join(destination, pack.filename);
  // The installs run side by side; each group below waits for its own.
  installs.light = installLight();
  installs.global = installGlobal();
  installs.myTeam = installs.global.then(initMyTeam);
  for (const install of Object.values(installs)) install.catch(() => {}); // reported by the group
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe("the packed packages", { timeout: 240_000 }, () => {
  it("hold built JavaScript with types and maps, and no sources, tests or test agents", () => {
    for (const { name, files } of packed) {
      const paths = files.map((file) => file.path);
      expect(paths, name).toContain("dist/index.js");
      expect(paths, name).toContain("dist/index.d.ts");
      expect(paths, name).toContain("dist/index.js.map");
      expect(
        paths.filter((path) => /^src\/|\.test\.|\.test-d\.|\.contract\.|tsbuildinfo/.test(path)),
        name,
      ).toEqual([]);
    }
    const host = packed.find((pack) => pack.name === "@troupe/host")!.files.map((file) => file.path);
    expect(host).toContain("dist/bin/troupe.js");
    expect(host).toContain("dist/inspect/inspectPage.js");
    expect(host.filter((path) => path.startsWith("dist/testing/"))).toEqual([]);
  });

  describe("@troupe/runtime alone", () => {
    let project: string;
    beforeAll(async () => {
      project = await installs.light;
    }, 180_000);

    it("brings xstate and effect, and nothing of Discord, Redis, PostgreSQL, Ollama or MCP", () => {
      const lock = JSON.parse(readFileSync(join(project, "node_modules/.package-lock.json"), "utf8")) as {
        packages: Record<string, unknown>;
      };
      const installed = Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, ""));
      expect(installed.sort()).toEqual([
        "@troupe/runtime",
        "@types/node",
        "effect",
        "undici-types",
        "xstate",
      ]);
    });

    it("runs the README's team in 20 lines and typechecks it with tsc --strict", async () => {
      writeFileSync(join(project, "team.ts"), readmeTeam());
      const ran = await ok(process.execPath, ["team.ts"], { cwd: project });
      expect(ran.stdout).toContain("task.queued");
      expect(ran.stdout).toContain("summary: 'the incident report …'");
      await ok(
        tsc,
        ["--strict", "--noEmit", "--module", "nodenext", "--target", "es2023", "--types", "node", "team.ts"],
        {
          cwd: project,
        },
      );
    });

    it("names a missing optional peer in one line", async () => {
      const ran = await run(
        process.execPath,
        ["--input-type=module", "-e", 'await import("@troupe/runtime/redis")'],
        {
          cwd: project,
        },
      );
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(
        "MissingPeerDependency: @troupe/runtime/redis needs the ioredis package, which is not installed: npm install ioredis",
      );
      const messages = await ok(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `for (const entry of ["discord", "ollama", "mcp", "metrics"])
             await import("@troupe/runtime/" + entry).catch((error) => console.log(error.message));`,
        ],
        { cwd: project },
      );
      expect(messages.stdout.trim().split("\n")).toEqual([
        "@troupe/runtime/discord needs the discord.js package, which is not installed: npm install discord.js",
        "@troupe/runtime/ollama needs the ollama package, which is not installed: npm install ollama",
        "@troupe/runtime/mcp needs the @modelcontextprotocol/sdk package, which is not installed: npm install @modelcontextprotocol/sdk",
        "@troupe/runtime/metrics needs the prom-client package, which is not installed: npm install prom-client",
      ]);
    });
  });

  describe("@troupe/host installed globally", () => {
    let troupe: string;
    beforeAll(async () => {
      troupe = await installs.global;
    }, 180_000);

    it("answers troupe --help", async () => {
      const ran = await ok(troupe, ["--help"], { cwd: work });
      expect(ran.stdout).toContain("troupe [command] [options]");
      expect(ran.stderr).toBe("");
    });

    it("runs a piped console session: /ask echo hello is ✅ done", async () => {
      const dataDir = join(work, "data");
      const ran = await ok(troupe, ["start"], {
        cwd: work,
        env: { ...cleanEnv, TROUPE_DATA_DIR: dataDir, TROUPE_HTTP_PORT: "0" },
        input: "/ask echo hello\n",
      });
      expect(ran.stdout).toMatch(
        /\nhello\nreplay offline: troupe replay \S+\.jsonl --task (t-[0-9a-f]+)\n\[\1\] ✅ done\n/,
      );
      expect(ran.stderr).toContain('"msg":"troupe started"');
    });

    it("ships no vitest and no test code", () => {
      const root = join(dirname(dirname(troupe)), "lib/node_modules/@troupe/host");
      const shipped = filesUnder(root).filter((path) => !path.startsWith("node_modules/.bin"));
      const ours = shipped.filter((path) => !path.startsWith("node_modules/") || path.includes("@troupe/"));
      expect(ours.filter((path) => /\.test\.|\.test-d\.|\.contract\.|^dist\/testing\//.test(path))).toEqual(
        [],
      );
      expect(
        ours.filter(
          (path) =>
            path.endsWith(".js") &&
            /from "vitest"|import\("vitest"\)/.test(readFileSync(join(root, path), "utf8")),
        ),
      ).toEqual([]);
    });

    describe("troupe init my-team", () => {
      let project: string;
      beforeAll(async () => {
        project = await installs.myTeam;
      }, 240_000);

      it("passes its test and typechecks right after creation", async () => {
        const tested = await ok("npm", ["test"], { cwd: project });
        expect(tested.stdout).toMatch(/pass 1\n\S* ?fail 0/);
        await ok("npm", ["run", "typecheck"], { cwd: project });
      });

      it("starts troupe with its own agent in the team", async () => {
        const ran = await ok("npm", ["start", "--silent"], {
          cwd: project,
          env: { ...cleanEnv, TROUPE_HTTP_PORT: "0" },
          input: "/agents\n",
        });
        expect(ran.stdout).toMatch(/summarizer\s+idle\s+summarize/);
        expect((await ok("npx", ["troupe", "--version"], { cwd: project })).stdout).toBe("troupe 0.1.0\n");
      });
    });
  });
});
