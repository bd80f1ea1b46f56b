// llm-first-token: how long until the first streamed token arrives through the Llm layer
// (`createOllamaLlm`: its fetch, per-call signal, deadline timer and error mapping) compared with the
// raw `ollama` client streaming the same chat, both against the Ollama stand-in answering with a
// fixed latency per token. Time to first token through the layer ÷ the raw client's, per round.
import { Ollama } from "ollama";
import { createOllamaLlm } from "../packages/runtime/src/llm/ollama/createOllamaLlm.ts";
import { startOllamaStandIn } from "../test/harness/ollamaStandIn.ts";
import { type Figure, figure, median, progress } from "./measure.ts";

const TOKEN_DELAY_MS = 20;
const ROUNDS = 30;
const MODEL = "qwen3:8b";

export const llmFirstToken = async (): Promise<Figure> => {
  const standIn = await startOllamaStandIn({
    models: [MODEL],
    tokenDelayMs: TOKEN_DELAY_MS,
    defaultReply: () => ({ tokens: ["first", " second"] }),
  });
  const messages = [{ role: "user" as const, content: "say two words" }];
  const raw = new Ollama({ host: standIn.url });
  const llm = createOllamaLlm({ host: standIn.url, model: MODEL });

  const rawFirstToken = async (): Promise<number> => {
    const startedAt = performance.now();
    let first: number | undefined;
    for await (const part of await raw.chat({ model: MODEL, messages, stream: true })) {
      if (first === undefined && part.message.content) first = performance.now() - startedAt;
    }
    return first!;
  };
  const llmFirstToken = async (): Promise<number> => {
    const startedAt = performance.now();
    let first: number | undefined;
    await llm.chat(messages, {
      onToken: () => {
        first ??= performance.now() - startedAt;
      },
    });
    return first!;
  };

  try {
    // Start from a collected heap, so garbage left by an earlier benchmark does not land on one side.
    (globalThis as { gc?: () => void }).gc?.();
    for (let warm = 0; warm < 3; warm += 1) {
      await rawFirstToken();
      await llmFirstToken();
    }
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternate which goes first, so neither always meets a warmer connection pool.
      const [rawMs, llmMs] =
        round % 2 === 0
          ? [await rawFirstToken(), await llmFirstToken()]
          : await llmFirstToken().then(async (layer) => [await rawFirstToken(), layer]);
      ratios.push(llmMs! / rawMs!);
      if (round % 10 === 0) {
        progress(
          `llm-first-token round ${round}/${ROUNDS}: raw client ${rawMs!.toFixed(1)} ms, Llm layer ${llmMs!.toFixed(1)} ms (stand-in latency ${TOKEN_DELAY_MS} ms per token)`,
        );
      }
    }
    return figure("llm-first-token", median(ratios), { atMost: 1.05 });
  } finally {
    await standIn.close();
  }
};
