// What `troupe init` writes: a project with one agent (a summarizer that asks its model), a test
// that drives it with @troupe/runtime/testing and a scripted model, the entry that runs `troupe`
// with it, a .env.example and a README with the two commands. TypeScript run by Node directly.

/** The files of a new project named `name`, by path, depending on the Troupe packages at `version`. */
export const projectFiles = (name: string, version: string): Record<string, string> => ({
  "package.json": `${JSON.stringify(
    {
      name,
      version: "0.1.0",
      private: true,
      type: "module",
      engines: { node: ">=22.18" },
      scripts: {
        start: "node --env-file-if-exists=.env --no-allocation-site-pretenuring src/main.ts start",
        test: 'node --test "src/**/*.test.ts"',
        typecheck: "tsc",
      },
      dependencies: { "@troupe/host": `^${version}`, "@troupe/runtime": `^${version}` },
      devDependencies: { "@types/node": "^24.0.0", typescript: "^7.0.0" },
    },
    null,
    2,
  )}\n`,
  "tsconfig.json": `${JSON.stringify(
    {
      compilerOptions: {
        target: "es2023",
        module: "nodenext",
        types: ["node"],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        erasableSyntaxOnly: true,
        skipLibCheck: true,
      },
      include: ["src"],
    },
    null,
    2,
  )}\n`,
  ".gitignore": "node_modules/\n.env\n.troupe/\n",
  ".env.example": `# Copy to .env: npm start reads it. Every variable: npx troupe --help
# Where Ollama listens, and the summarizer's model (MODEL_DEFAULT: one model for every agent).
OLLAMA_HOST=http://127.0.0.1:11434
MODEL_SUMMARIZER=qwen3:8b
# The port of /metrics, /healthz and /inspect (0: any free port).
TROUPE_HTTP_PORT=9464
# Set both to run on Discord instead of the console.
# DISCORD_TOKEN=
# DISCORD_CHANNELS=general
`,
  "README.md": `# ${name}

A [Troupe](https://www.npmjs.com/package/@troupe/runtime) team with one agent of its own,
\`summarizer\` (\`src/summarizer.ts\`), and a test that drives it (\`src/summarizer.test.ts\`).

\`\`\`sh
npm install && npm start   # the team in a local console: /ask summarizer <a text>, /help
npm test                   # the agent's test: a scripted model stands in for Ollama
\`\`\`

The summarizer asks a local model on [Ollama](https://ollama.com): copy \`.env.example\` to \`.env\`
and set \`OLLAMA_HOST\` and \`MODEL_SUMMARIZER\` (\`npx troupe models\` says which models it finds).
The console's team also has \`echo\` and \`system-monitor\`; \`src/main.ts\` adds yours. Node 22.18 or
newer runs the TypeScript files as they are; \`npm run typecheck\` checks them. \`npm start\` turns V8's
allocation-site pretenuring off, as the \`troupe\` command does: a long run takes less CPU and memory.
`,
  "src/summarizer.ts": `// One agent: it asks its model (MODEL_SUMMARIZER, or MODEL_DEFAULT) to summarize a text.
import { defineAgent } from "@troupe/runtime";

export const summarizer = defineAgent({
  name: "summarizer",
  description: "Summarizes a text in one sentence.",
  capabilities: ["summarize"],
  heartbeat: { deadline: "2m" },
  async handle(task, { llm, signal, progress }) {
    progress("asking the model");
    const reply = await llm.chat(
      [
        { role: "system", content: "Summarize the user's text in one sentence." },
        { role: "user", content: task.text },
      ],
      { signal },
    );
    return { summary: reply.content.trim() };
  },
});
`,
  "src/summarizer.test.ts": `// The summarizer on a test team: a scripted model answers instead of Ollama, and the test checks
// what the agent asked it and what it returned.
import { deepEqual, equal } from "node:assert/strict";
import { test } from "node:test";
import { createTestTeam, ScriptedModel } from "@troupe/runtime/testing";
import { summarizer } from "./summarizer.ts";

test("the summarizer returns its model's one-sentence summary", async () => {
  const model = new ScriptedModel(["  Troupe runs teams of agents.  "]);
  const { team } = createTestTeam({ agents: [summarizer], llm: () => model });

  const summary = await team.ask(summarizer, "Troupe is an actor runtime for teams of LLM agents.").result;

  deepEqual(summary, { summary: "Troupe runs teams of agents." });
  equal(model.calls[0]?.messages.at(-1)?.content, "Troupe is an actor runtime for teams of LLM agents.");
  await team.drain();
});
`,
  "src/main.ts": `// \`npm start\`: the troupe command (a local console, or Discord with DISCORD_TOKEN, and an HTTP server
// with /metrics, /healthz and /inspect) with this project's agents added to its team.
import { runAsProcess } from "@troupe/host";
import { summarizer } from "./summarizer.ts";

await runAsProcess({ agents: [summarizer] });
`,
});
