// Types flow from an agent's definition to the caller: outputs, machine events and emitted events
// are checked at compile time (vitest's typecheck runs this file).
import { describe, expectTypeOf, it } from "vitest";
import { createSupervisor } from "../supervisor/Team.ts";
import { defineAgent } from "./defineAgent.ts";
import { deployer } from "./machineAgent.test.ts";

const summarizer = defineAgent<{ text: string }, { summary: string }, { type: "found"; url: string }>({
  name: "summarizer",
  async handle(task, ctx) {
    ctx.emit({ type: "found", url: "https://example.org" });
    // @ts-expect-error an event this agent does not declare
    ctx.emit({ type: "lost" });
    return { summary: task.input.text.slice(0, 10) };
  },
});

describe("typed agents", () => {
  const team = createSupervisor({ agents: [summarizer, deployer] });

  it("types a run's result by the agent's output", () => {
    expectTypeOf(team.ask(summarizer, "x").result).resolves.toEqualTypeOf<{ summary: string }>();
    expectTypeOf(team.ask(deployer, "x").result).resolves.toEqualTypeOf<{ deployed: string }>();
  });

  it("accepts only the machine's own events on a machine agent's run", () => {
    const run = team.ask(deployer, "x");
    run.send({ type: "DEPLOY", env: "prod" });
    // @ts-expect-error "qa" is not an environment the deployer knows
    run.send({ type: "DEPLOY", env: "qa" });
    // @ts-expect-error no such event
    run.send({ type: "LAUNCH" });
  });

  it("accepts no events on a plain agent's run, and types its emitted events", async () => {
    const run = team.ask(summarizer, "x");
    // @ts-expect-error a plain agent takes no events
    run.send({ type: "ANY" });
    for await (const event of run.events) {
      if (event.type === "task.emitted")
        expectTypeOf(event.event).toEqualTypeOf<{ type: "found"; url: string }>();
    }
  });
});
