// The soak run's model: the Ollama stand-in, answering as a healthy model does until the plan's model
// outage, whose phases it then plays: failing (HTTP 500, the runner crashed), hanging (no answer
// until the phase ends, longer than the soak agent's model deadline), busy (HTTP 503), then up again.
import { type OllamaStandIn, type StandInReply, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import type { ModelPhase } from "./soakPlan.ts";

export const SOAK_MODEL = "qwen3:8b";

export interface SoakModel {
  readonly standIn: OllamaStandIn;
  readonly phase: ModelPhase;
  setPhase(phase: ModelPhase): void;
  close(): Promise<void>;
}

export const startSoakModel = async (): Promise<SoakModel> => {
  let phase: ModelPhase = "up";
  let releaseHang: () => void = () => {};
  let hang = Promise.resolve();
  const answer = (asked: string): StandInReply => {
    switch (phase) {
      case "fail":
        return { status: 500, error: "llama runner process has terminated: signal: killed" };
      case "busy":
        return { status: 503, error: "server busy, please try again.  maximum pending requests exceeded" };
      case "hang":
        return { content: `You said: ${asked}`, hold: hang };
      case "up":
        return { content: `You said: ${asked}` };
    }
  };
  const standIn = await startOllamaStandIn({
    models: [SOAK_MODEL],
    defaultReply: (request) => {
      const messages = (request.body?.messages ?? []) as { role?: string; content?: string }[];
      return answer(messages.findLast((message) => message.role === "user")?.content ?? "");
    },
  });
  return {
    standIn,
    get phase() {
      return phase;
    },
    setPhase(next) {
      if (next === "hang")
        hang = new Promise<void>((resolve) => {
          releaseHang = resolve;
        });
      else releaseHang();
      phase = next;
    },
    async close() {
      releaseHang();
      await standIn.close();
    },
  };
};
