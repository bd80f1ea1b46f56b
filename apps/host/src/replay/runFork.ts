// `troupe replay <trace> --task <id> --until <seq> --live`: the recorded task replayed up to a
// trace record, then on live with the real model (Ollama, MODEL_<ROLE>), recorded into a new trace
// in TROUPE_TRACE_DIR that starts with the point it forked from. Prints where it went live, how the
// task ended and the new trace; exit 0 when it succeeded, 1 when it failed.
import { resolve } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import {
  type AnyAgentDefinition,
  createInspector,
  forkTask,
  jsonLogger,
  recordTrace,
  redactTraceValue,
  TraceFiles,
  type TraceRecord,
} from "@troupe/runtime";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { resolveTraceConfig } from "../config/traceConfig.ts";
import { hostReplayTeam } from "./hostReplayTeam.ts";

export interface ForkRequest {
  readonly trace: string;
  readonly taskId: string;
  readonly until: number;
  readonly extraAgents: readonly AnyAgentDefinition[];
}

export const runFork = async (
  records: readonly TraceRecord[],
  request: ForkRequest,
  io: { readonly stdout: Writable; readonly stderr: Writable; readonly env: NodeJS.ProcessEnv },
): Promise<number> => {
  const cwd = process.cwd();
  const dataDir = resolve(cwd, io.env.TROUPE_DATA_DIR || ".troupe");
  const { dir, retain } = resolveTraceConfig(io.env, { dataDir, cwd });
  const inspector = createInspector({ redact: redactTraceValue });
  const files = dir === undefined ? undefined : new TraceFiles({ dir, retain });
  const recording = files ? recordTrace(inspector, files) : undefined;
  const logger = jsonLogger({ level: "warn", write: (line) => io.stderr.write(line) });
  let result: Awaited<ReturnType<typeof forkTask>>;
  try {
    result = await forkTask(
      records,
      {
        team: (names) => hostReplayTeam(names, request.extraAgents),
        redact: redactTraceValue,
        taskId: request.taskId,
      },
      { until: request.until, llm: (role) => createOllamaLlm({ role, logger }), inspector },
    );
  } finally {
    await recording?.close().catch(() => {});
    files?.end();
    if (files) await finished(files).catch(() => {});
  }
  const { forkedAt, outcome } = result;
  io.stdout.write(
    forkedAt
      ? `forked: task ${request.taskId} went live at its ${forkedAt.port} call ${forkedAt.call} (replayed up to trace record ${request.until})\n`
      : `forked: task ${request.taskId} ended before trace record ${request.until}; nothing went live\n`,
  );
  const ended = (outcome ?? {}) as { status?: string; output?: unknown; error?: unknown };
  io.stdout.write(`${ended.status ?? "unsettled"}: ${JSON.stringify(ended.output ?? ended.error ?? null)}\n`);
  if (files?.path) io.stdout.write(`trace: ${files.path}\n`);
  return ended.status === "succeeded" ? 0 : 1;
};
