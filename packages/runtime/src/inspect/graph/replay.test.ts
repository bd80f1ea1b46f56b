// The replay reducer: the state it folds from a trace at seq n is the state the live actors and
// the team had when record n was made — from the start, from a checkpoint, or read back from JSONL.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AnyActorRef, setup } from "xstate";
import { defineAgent } from "../../agent/defineAgent.ts";
import { createSupervisor } from "../../supervisor/Team.ts";
import { createInspector } from "../Inspector.ts";
import { readTrace } from "../readTrace.ts";
import { recordTrace } from "../recordTrace.ts";
import type { TraceRecord } from "../TraceRecord.ts";
import { applyRecord, createReplayState, replayTo } from "./replay.ts";

interface Seen {
  readonly seq: number;
  readonly actors: Record<string, { value: unknown; status: string }>;
  readonly agents: Record<string, { state: string; task: string | null; breaker: string; restarts: number }>;
}

const flow = setup({}).createMachine({
  id: "flow",
  initial: "waiting",
  states: { waiting: { on: { next: "second" } }, second: { on: { next: "done" } }, done: { type: "final" } },
});

describe("replay", () => {
  it("folds to the live state at every seq, from the start, from checkpoints and from the JSONL", async () => {
    const dir = await mkdtemp(join(tmpdir(), "troupe-replay-"));
    try {
      const inspector = createInspector({ checkpointEvery: 25, supervisionEveryMs: 0 });
      const path = join(dir, "run.jsonl");
      const recording = recordTrace(inspector, path);
      let calls = 0;
      const flaky = defineAgent({
        name: "flaky",
        handle: async () => {
          calls += 1;
          if (calls === 2) throw new Error("boom");
          return "ok";
        },
      });
      const stepper = defineAgent({ name: "stepper", machine: flow });
      const team = createSupervisor({ agents: [flaky, stepper], restart: { intensity: 10 } });

      // What the live actors and the team look like when each record is made.
      const seen: Seen[] = [];
      const live = (actor: AnyActorRef, out: Seen["actors"]) => {
        const snapshot = actor.getSnapshot() as {
          status: string;
          value?: unknown;
          children?: Record<string, AnyActorRef>;
        };
        if (snapshot.status !== "active") return;
        out[actor.sessionId] = { value: snapshot.value, status: snapshot.status };
        for (const child of Object.values(snapshot.children ?? {})) if (child) live(child, out);
      };
      // Sampled between steps, when no macrostep is under way: the last record made is then seq n.
      let lastSeq = 0;
      inspector.subscribe((record) => {
        lastSeq = record.seq;
      });
      const sample = () => {
        const actors: Seen["actors"] = {};
        live(team.actor, actors);
        // The agents' breakers: an actor once moved, else resting as `<supervisor>/<id>`.
        for (const child of team.lazyChildren()) {
          if (child.actor) live(child.actor, actors);
          else
            actors[`${team.actor.sessionId}/${child.id}`] = {
              value: (child.snapshot as { value: unknown }).value,
              status: "active",
            };
        }
        const agents: Seen["agents"] = {};
        for (const agent of team.status().agents)
          agents[agent.name] = {
            state: agent.state,
            task: agent.task ?? null,
            breaker: agent.breaker,
            restarts: agent.restarts,
          };
        seen.push({ seq: lastSeq, actors, agents });
      };
      inspector.attachTeam(team);

      const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
      sample();
      for (const text of ["one", "two", "three", "four"]) {
        await team.ask(flaky, text).result.catch(() => {});
        await settle();
        sample();
      }
      const run = team.ask(stepper, "go");
      await settle();
      sample();
      run.send({ type: "next" } as never);
      await settle();
      sample();
      run.send({ type: "next" } as never);
      await run.result;
      await settle();
      sample();
      await recording.close();
      team.stop();

      const records: TraceRecord[] = [];
      for await (const record of readTrace(path)) records.push(record);
      expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
      expect(records.some((record) => record.kind === "checkpoint")).toBe(true);
      expect(records.some((record) => record.kind === "machine" && record.machine === "flow")).toBe(true);

      const running = createReplayState();
      let at = 0;
      for (const moment of seen) {
        while (at < records.length && records[at]!.seq <= moment.seq) applyRecord(running, records[at++]!);
        const actors = Object.fromEntries(
          Object.entries(running.actors)
            .filter(([, view]) => view.machine !== null)
            .map(([id, view]) => [id, { value: view.value, status: view.status }]),
        );
        const liveMachines = Object.fromEntries(
          Object.entries(moment.actors).filter(([id]) => id in running.actors || id in actors),
        );
        expect({ seq: moment.seq, actors }).toEqual({
          seq: moment.seq,
          actors: Object.fromEntries(
            Object.entries(liveMachines).filter(([id]) => running.actors[id]?.machine !== null),
          ),
        });
        const team = Object.values(running.teams)[0]!;
        const agents = Object.fromEntries(
          team.agents.map((agent) => [
            agent.name,
            { state: agent.state, task: agent.task, breaker: agent.breaker, restarts: agent.restarts },
          ]),
        );
        expect({ seq: moment.seq, agents }).toEqual({ seq: moment.seq, agents: moment.agents });

        // The same point reached from the last checkpoint before it is the same state.
        const checkpoint = records.findLast(
          (record) => record.kind === "checkpoint" && record.seq <= moment.seq,
        );
        if (checkpoint) {
          const fromCheckpoint = replayTo(
            records.filter((record) => record.seq >= checkpoint.seq),
            moment.seq,
          );
          expect(fromCheckpoint.actors).toEqual(
            Object.fromEntries(
              Object.entries(running.actors).map(([id, view]) => [
                id,
                { ...view, changedAt: fromCheckpoint.actors[id]?.changedAt },
              ]),
            ),
          );
        }
      }
      expect(seen.length).toBe(8);
      expect(
        Object.values(replayTo(records, records.at(-1)!.seq).teams)[0]!.agents.find(
          (agent) => agent.name === "flaky",
        )!.restarts,
      ).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
