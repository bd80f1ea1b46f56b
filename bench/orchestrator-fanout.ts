// orchestrator-fanout: the orchestrator splits a three-part request and runs the parts on research,
// code and watchlist in parallel, each calling a model on the Ollama stand-in with a fixed latency
// per token (through createOllamaLlm and the real ollama client). The parts run in parallel, so the
// whole should take about as long as the slowest part alone. Wall time of the orchestrated request ÷
// the slowest of the three branches run alone, per round.
import {
  createCodeAgent,
  createOrchestrator,
  createResearch,
  createWatchlist,
  fileQuoteSource,
  sampleQuotesCsv,
} from "@troupe/agents";
import { createSupervisor } from "@troupe/runtime";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { startOllamaStandIn } from "../test/harness/ollamaStandIn.ts";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const TOKEN_DELAY_MS = 50;
const ROUNDS = 12;

/** One token per answer: JSON for a schema the agent asked for, else a short text. */
const answer = (body: Record<string, unknown> | undefined) => {
  const schema = JSON.stringify(body?.format ?? "");
  if (schema.includes('"steps"')) return { tokens: [JSON.stringify({ steps: ["read the notes"] })] };
  if (schema.includes('"sources"'))
    return { tokens: [JSON.stringify({ summary: "It was DNS.", sources: [{ title: "notes" }] })] };
  return { tokens: ["Looks fine."] };
};

export const orchestratorFanout = async (): Promise<Figure> => {
  const standIn = await startOllamaStandIn({
    tokenDelayMs: TOKEN_DELAY_MS,
    models: ["qwen3:8b", "qwen2.5-coder:7b", "llama3.2:3b"],
    defaultReply: (request) => answer(request.body),
  });
  const research = createResearch();
  const code = createCodeAgent();
  const watchlist = createWatchlist({ source: fileQuoteSource(sampleQuotesCsv), summarize: true });
  const workers = [research, code, watchlist];
  const orchestrator = createOrchestrator({ agents: workers });
  const team = createSupervisor({
    agents: [...workers, orchestrator.agent],
    llm: (role) => createOllamaLlm({ role, env: { OLLAMA_HOST: standIn.url } }),
  });
  const parts = {
    research: "research what caused the outage",
    code: "review the retry code",
    watchlist: "check $NVDA",
  };
  const request = `- ${parts.research}\n- ${parts.code}\n- ${parts.watchlist}`;
  const slowestAlone = async () =>
    Math.max(
      await timeMs(() => team.ask(research, parts.research).result),
      await timeMs(() => team.ask(code, parts.code).result),
      await timeMs(() => team.ask(watchlist, parts.watchlist).result),
    );
  const orchestrated = () =>
    team.ask(orchestrator.agent, request).result.then((result) => {
      if (result.parts.some((part) => part.status !== "succeeded"))
        throw new Error(`a part failed: ${JSON.stringify(result.parts)}`);
    });
  await slowestAlone();
  await orchestrated();
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const aloneMs = await slowestAlone();
    const wholeMs = await timeMs(orchestrated);
    ratios.push(wholeMs / aloneMs);
    if (round % 4 === 0) {
      progress(
        `orchestrator-fanout round ${round}/${ROUNDS}: slowest branch ${aloneMs.toFixed(1)} ms, orchestrated ${wholeMs.toFixed(1)} ms`,
      );
    }
  }
  await team.drain({ deadline: "1s" });
  await standIn.close();
  return figure("orchestrator-fanout", median(ratios), { atMost: 1.1 });
};
