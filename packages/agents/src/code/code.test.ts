// The code agent: a structured review of a diff or a file, answers, and writes or commands that run
// only after a person approves the exact action; one review through the real ollama client.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ApprovalRequest,
  createSupervisor,
  type HumanGateway,
  MemorySnapshotStore,
} from "@troupe/runtime";
import { defineTool } from "@troupe/runtime/llm";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { createTestTeam, flush, ScriptedModel } from "@troupe/runtime/testing";
import { Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { type CodeActions, localCodeActions } from "./CodeActions.ts";
import { codeFormatters, createCodeAgent } from "./code.ts";

const review = {
  summary: "One bug, one nit.",
  findings: [
    { severity: "minor", file: "src/a.ts", line: 3, message: "unused import" },
    { severity: "major", file: "src/a.ts", line: 7, message: "off by one", suggestion: "use <" },
  ],
};

const DIFF = "diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n-a\n+b\n";

/** A gateway that approves or denies every action as told, recording what it was asked. */
const gateway = (approve: boolean) => {
  const asked: ApprovalRequest[] = [];
  const human: HumanGateway = {
    ask: async () => "yes",
    approve: async (request) => {
      asked.push(request);
      return { hash: request.hash, approved: approve, by: "ana" };
    },
  };
  return { human, asked };
};

/** A workspace that records what it was told to do. */
const recordingWorkspace = () => {
  const done: string[] = [];
  const workspace: CodeActions = {
    writeFile: async (path) => {
      done.push(`write ${path}`);
    },
    runCommand: async (command, args) => {
      done.push(`run ${[command, ...args].join(" ")}`);
      return { exitCode: 0, output: "ok" };
    },
  };
  return { workspace, done };
};

describe("code agent", () => {
  it("reviews a diff in the text, findings sorted by severity", async () => {
    const model = new ScriptedModel([{ json: review }]);
    const code = createCodeAgent();
    const { team } = createTestTeam({ agents: [code], llm: () => model });
    const result = await team.ask(code, `Please check:\n${DIFF}`).result;
    expect(result.kind).toBe("review");
    expect(result.findings.map((finding) => [finding.severity, finding.line])).toEqual([
      ["major", 7],
      ["minor", 3],
    ]);
    expect(model.messages(0)[1]?.content).toContain("Please check:");
    expect(model.messages(0)[1]?.content).toContain("+++ b/src/a.ts");
    expect(codeFormatters.markdown(result)).toContain("- **major** `src/a.ts:7`: off by one — _use <_");
    expect(codeFormatters.text(result)).toContain("[minor] src/a.ts:3 unused import");
    expect(codeFormatters.notification(result)).toBe("review: 1 major, 1 minor — One bug, one nit.");
    team.stop();
  });

  it("answers a follow-up with its notes as working memory and the conversation as prior turns", async () => {
    const model = new ScriptedModel([{ text: "Use a Map." }]);
    const code = createCodeAgent();
    const { team } = createTestTeam({ agents: [code], llm: () => model });
    const result = await team.ask(code, {
      text: "and for lookups?",
      conversation: [
        { role: "user", name: "bo", content: "how do I store pairs?" },
        { role: "assistant", name: "code", content: "An array of tuples." },
      ],
      notes: ["TypeScript only"],
    }).result;
    expect(result.text).toBe("Use a Map.");
    expect(model.messages(0).slice(1)).toEqual([
      {
        role: "system",
        content: "Working memory (notes pinned for this task; keep them in mind):\n- TypeScript only",
      },
      { role: "user", content: "bo: how do I store pairs?" },
      { role: "assistant", content: "An array of tuples." },
      { role: "user", content: "and for lookups?" },
    ]);
    team.stop();
  });

  it("reviews a file given as input, with line numbers for the model", async () => {
    const model = new ScriptedModel([{ json: { summary: "Fine.", findings: [] } }]);
    const code = createCodeAgent();
    const { team } = createTestTeam({ agents: [code], llm: () => model });
    const result = await team.ask(code, {
      input: { file: { path: "x.ts", content: "let a = 1;\nlet b = 2;" } },
    }).result;
    expect(result).toEqual({ kind: "review", text: "Fine.", findings: [], actions: [] });
    expect(model.messages(0)[1]?.content).toContain("   2| let b = 2;");
    team.stop();
  });

  it("answers a question without tools when it has no workspace", async () => {
    const model = new ScriptedModel(["Use Array.prototype.at(-1)."]);
    const code = createCodeAgent();
    const { team } = createTestTeam({ agents: [code], llm: () => model });
    const result = await team.ask(code, "last element of an array?").result;
    expect(result).toEqual({
      kind: "answer",
      text: "Use Array.prototype.at(-1).",
      findings: [],
      actions: [],
    });
    expect(model.calls[0]?.options.tools).toBeUndefined();
    expect(codeFormatters.notification(result)).toBe("Use Array.prototype.at(-1).");
    team.stop();
  });

  it("gives its model the team's tools for it (its MCP allow-list) and runs them, without a workspace", async () => {
    const read = defineTool({
      name: "files_read",
      description: "Read a file",
      parameters: Schema.Struct({ path: Schema.String }),
      run: ({ path }) => `contents of ${path}`,
    });
    const model = new ScriptedModel([
      { toolCalls: [{ name: "files_read", arguments: { path: "a.ts" } }] },
      "a.ts exports one function.",
    ]);
    const code = createCodeAgent();
    const { team } = createTestTeam({
      agents: [code],
      llm: () => model,
      tools: (agent) => (agent === "code" ? [read] : []),
    });
    const result = await team.ask(code, "what does a.ts export?").result;
    expect(result.text).toBe("a.ts exports one function.");
    expect(model.calls[0]?.options.tools?.map((tool) => tool.name)).toEqual(["files_read"]);
    expect(model.messages(1).at(-1)?.content).toBe("contents of a.ts");
    team.stop();
  });

  it("runs a command only after the exact command is approved, then tells the model the outcome", async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: "run_command", arguments: { command: "npm", args: ["test"] } }] },
      "I proposed running the tests.",
      "Tests pass.",
    ]);
    const { human, asked } = gateway(true);
    const { workspace, done } = recordingWorkspace();
    const code = createCodeAgent({ workspace });
    const { team } = createTestTeam({ agents: [code], llm: () => model, human });
    const result = await team.ask(code, "run the tests").result;
    expect(asked.map((request) => request.action)).toEqual([
      { kind: "run_command", command: "npm", args: ["test"] },
    ]);
    expect(done).toEqual(["run npm test"]);
    expect(model.messages(2).at(-1)?.content).toBe(
      "What became of your proposals:\nnpm test: exit code 0\nok",
    );
    expect(result).toEqual({
      kind: "answer",
      text: "Tests pass.",
      findings: [],
      actions: [{ kind: "command", target: "npm test", approved: true, by: "ana", outcome: "exit 0" }],
    });
    team.stop();
  });

  it("never writes or runs what was denied, and tells the model", async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: "write_file", arguments: { path: "a.ts", content: "x" } }] },
      { toolCalls: [{ name: "run_command", arguments: { command: "rm", args: ["-rf", "build"] } }] },
      "Both wait for approval.",
      "Understood, nothing changed.",
    ]);
    const { human, asked } = gateway(false);
    const { workspace, done } = recordingWorkspace();
    const code = createCodeAgent({ workspace });
    const { team } = createTestTeam({ agents: [code], llm: () => model, human });
    const result = await team.ask(code, "clean up").result;
    expect(done).toEqual([]);
    expect(asked).toHaveLength(2);
    expect(result.actions.map((action) => [action.kind, action.approved, action.outcome])).toEqual([
      ["write", false, "denied"],
      ["command", false, "denied"],
    ]);
    expect(model.messages(3).at(-1)?.content).toBe(
      "What became of your proposals:\na.ts: denied by ana, not done\nrm -rf build: denied by ana, not done",
    );
    expect(result.text).toBe("Understood, nothing changed.");
    expect(codeFormatters.markdown(result)).toContain("🚫 command `rm -rf build`: denied");
    team.stop();
  });

  it("resumes in a new team at the step it was in: no proposal asked again, no approval asked twice", async () => {
    const snapshots = new MemorySnapshotStore();
    const { human, asked } = gateway(true);
    const proposing = new ScriptedModel([
      { toolCalls: [{ name: "run_command", arguments: { command: "npm", args: ["test"] } }] },
      "I proposed running the tests.",
    ]);
    // The first host dies while the approved command runs.
    const running = Promise.withResolvers<void>();
    const stuck: CodeActions = {
      writeFile: async () => {},
      runCommand: () => {
        running.resolve();
        return new Promise(() => {});
      },
    };
    const first = createTestTeam({
      agents: [createCodeAgent({ workspace: stuck })],
      llm: () => proposing,
      human,
      snapshots,
    });
    first.team.submit({ id: "tests-1", agent: "code", text: "run the tests" });
    await running.promise;
    await flush();
    const saved = await snapshots.load("tests-1");
    expect(saved).toMatchObject({ value: "applying" });
    first.team.stop();

    const reporting = new ScriptedModel(["Tests pass."]);
    const { workspace, done } = recordingWorkspace();
    const second = createTestTeam({
      agents: [createCodeAgent({ workspace })],
      llm: () => reporting,
      human,
      snapshots,
    });
    const run = second.team.submit(
      { id: "tests-1", agent: "code", text: "run the tests" },
      { snapshot: saved },
    );
    await expect(run.result).resolves.toMatchObject({
      text: "Tests pass.",
      actions: [{ outcome: "exit 0" }],
    });
    expect(asked).toHaveLength(1);
    expect(done).toEqual(["run npm test"]);
    expect(proposing.calls).toHaveLength(2);
    expect(reporting.calls).toHaveLength(1);
    second.team.stop();
  });
});

describe("localCodeActions", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("writes inside its root only and runs programs without a shell", async () => {
    const root = await mkdtemp(join(tmpdir(), "troupe-code-"));
    dirs.push(root);
    const actions = localCodeActions({ root });
    const signal = new AbortController().signal;
    await actions.writeFile("src/a.txt", "hello", signal);
    expect(await readFile(join(root, "src/a.txt"), "utf8")).toBe("hello");
    await expect(actions.writeFile("../escape.txt", "x", signal)).rejects.toThrow(/outside the workspace/);
    const echoed = await actions.runCommand(
      process.execPath,
      ["-e", "process.stdout.write('hi; $HOME')"],
      signal,
    );
    expect(echoed).toEqual({ exitCode: 0, output: "hi; $HOME" });
    const failed = await actions.runCommand(process.execPath, ["-e", "process.exit(3)"], signal);
    expect(failed.exitCode).toBe(3);
  });
});

describe("code on the Ollama stand-in", () => {
  let standIn: OllamaStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it("reviews a diff through the real ollama client", async () => {
    standIn = await startOllamaStandIn({
      models: ["qwen2.5-coder:7b"],
      replies: [{ content: JSON.stringify(review) }],
    });
    const url = standIn.url;
    const code = createCodeAgent();
    const team = createSupervisor({
      agents: [code],
      llm: (role) => createOllamaLlm({ role, env: { OLLAMA_HOST: url } }),
    });
    const result = await team.ask(code, { input: { diff: DIFF } }).result;
    expect(result.findings).toHaveLength(2);
    expect(standIn.requestsTo("/api/chat")[0]?.body).toMatchObject({ model: "qwen2.5-coder:7b" });
    team.stop();
  });
});
