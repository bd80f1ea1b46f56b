// The echo agent answers with the task's text, routed by mention, capability or as the fallback.
import { route } from "@troupe/runtime";
import { createTestTeam, scriptedAgent } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { echo } from "./echo.ts";

describe("echo", () => {
  it("answers with the task's text", async () => {
    const { team } = createTestTeam({ agents: [echo] });
    await expect(team.ask(echo, "hello there").result).resolves.toEqual({ text: "hello there" });
    team.stop();
  });

  it("drops a leading @echo when reached by mention", async () => {
    const other = scriptedAgent("other", [{ reply: "not me" }]);
    const { team, next } = createTestTeam({
      agents: [other, echo],
      routes: [route.mention()],
      fallback: "other",
    });
    const run = team.submit("@echo  hi  ");
    await expect(run.result).resolves.toEqual({ text: "hi  " });
    expect((await next("task.routed", (event) => event.taskId === run.id)).rule).toBe("mention:@echo");
    expect(other.calls).toHaveLength(0);
    team.stop();
  });

  it("takes tasks that need the echo capability", async () => {
    const { team } = createTestTeam({ agents: [echo], routes: [route.capability()] });
    await expect(team.submit({ text: "by capability", needs: ["echo"] }).result).resolves.toEqual({
      text: "by capability",
    });
    team.stop();
  });

  it("keeps mentions of other names and mentions later in the text", async () => {
    const { team } = createTestTeam({ agents: [echo], routes: [route.mention()] });
    await expect(team.ask(echo, "@echoes stay").result).resolves.toEqual({ text: "@echoes stay" });
    await expect(team.submit("say @echo").result).resolves.toEqual({ text: "say @echo" });
    team.stop();
  });
});
