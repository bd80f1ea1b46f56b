// Recorded traces of the shipped agents as regression tests: each was recorded by `troupe start` on
// the Ollama stand-in (echo alone; research planning and answering) and must replay identically
// against today's agents. A change that makes an agent ask its model something new, or answer
// otherwise, fails here with the first divergence. Re-record with the steps in docs/replay.md.
import { replayTrace } from "@troupe/runtime/testing";
import { describe, it } from "vitest";
import { hostReplayTeam } from "../../apps/host/src/replay/hostReplayTeam.ts";

const trace = (name: string) => new URL(`../fixtures/traces/${name}.jsonl`, import.meta.url).pathname;

describe("recorded traces of the shipped agents", () => {
  it("echo replays as recorded", () => replayTrace(trace("echo"), { team: hostReplayTeam }));
  it("research replays as recorded", () => replayTrace(trace("research"), { team: hostReplayTeam }));
});
