// The terminal as a Surface: what a line becomes (a command with its options, or a message), and
// how threads, reactions and posts are printed.
import { type InboundCommand, type InboundMessage, SURFACE_COMMANDS } from "@troupe/runtime";
import { describe, expect, it } from "vitest";
import { commandOptions, createConsoleSurface } from "./ConsoleSurface.ts";

const spec = (name: string) => SURFACE_COMMANDS.find((command) => command.name === name);

const surfaceWithLines = () => {
  const lines: string[] = [];
  const surface = createConsoleSurface((text) => lines.push(...text.split("\n")));
  const messages: InboundMessage[] = [];
  const commands: InboundCommand[] = [];
  surface.onMessage((message) => messages.push(message));
  surface.onCommand?.((command) => commands.push(command));
  return { surface, lines, messages, commands };
};

describe("commandOptions", () => {
  it("fills the required options in order, the last one taking the rest of the line", () => {
    expect(commandOptions(spec("ask"), "@echo  hello  world ")).toEqual({
      agent: "echo",
      text: "hello  world",
    });
    expect(commandOptions(spec("cancel"), "t-123")).toEqual({ task: "t-123" });
    expect(commandOptions(spec("fanout"), "echo,research what is up join:any")).toEqual({
      agents: "echo,research",
      text: "what is up",
      join: "any",
    });
  });

  it("takes name:value for any option, its value running to the next one", () => {
    expect(
      commandOptions(spec("schedule"), "when:every 5m text:check the disks agent:system-monitor"),
    ).toEqual({
      when: "every 5m",
      text: "check the disks",
      agent: "system-monitor",
    });
    expect(commandOptions(spec("retry"), "task:t-9")).toEqual({ task: "t-9" });
    expect(commandOptions(spec("ask"), "echo the text: is plain")).toEqual({
      agent: "echo",
      text: "the text: is plain",
    });
    expect(commandOptions(undefined, "anything")).toEqual({});
  });
});

describe("the console surface", () => {
  it("hands a command to the command listeners with its own message, and a plain line to the message listeners", () => {
    const { surface, messages, commands } = surfaceWithLines();
    surface.deliver("/ASK echo hi");
    surface.deliver("  @echo hello  ");
    surface.deliver("   ");
    expect(commands).toMatchObject([
      {
        name: "ask",
        options: { agent: "echo", text: "hi" },
        channelId: "console",
        message: { channelId: "console" },
      },
    ]);
    expect(messages).toMatchObject([
      { channelId: "console", threadId: undefined, content: "@echo hello", fromBot: false },
    ]);
    expect(messages[0]!.id).toMatch(/^[0-9a-f]+$/);
  });

  it("explains a command missing an option, and passes an unknown one on to be told so", () => {
    const { surface, lines, commands } = surfaceWithLines();
    surface.deliver("/cancel");
    surface.deliver("/ask echo");
    surface.deliver("/frobnicate now");
    expect(lines).toEqual([
      "/cancel needs a task id: /cancel <task>",
      "/ask needs its text: /ask <agent> <text>",
    ]);
    expect(commands.map((command) => command.name)).toEqual(["frobnicate"]);
  });

  it("prints a thread as the task's block: status lines, the reply as it is, the end once with its embeds", async () => {
    const { surface, lines } = surfaceWithLines();
    const on = { channelId: "console", messageId: "abc123" };
    const thread = await surface.startThread(on, "hello");
    await surface.react(on, "👀");
    await surface.post(thread, { content: "line one\nline two", identity: { name: "echo" } });
    await surface.react(on, "✅");
    await surface.post(thread, { content: "🔁 retrying (attempt 2): down\x1b[2J" });
    await surface.post(thread, {
      content: "❌ failed: down",
      embeds: [{ footer: { text: "replay offline: troupe replay t.jsonl --task t-abc123" } }],
    });
    await surface.react(on, "❌");
    expect(lines).toEqual([
      "[t-abc123] 👀 claimed",
      "line one",
      "line two",
      "[t-abc123] ✅ done",
      "[t-abc123] 🔁 retrying (attempt 2): down\\u001b[2J",
      "[t-abc123] ❌ failed: down",
      "replay offline: troupe replay t.jsonl --task t-abc123",
    ]);
  });

  it("prints a command's answer without the code fences a chat draws, and its embeds as lines", async () => {
    const { surface, lines, commands } = surfaceWithLines();
    surface.deliver("/agents");
    await commands[0]!.reply("```\nagent  state\necho   idle\n```", {
      embeds: [{ title: "Agents (1)", fields: [{ name: "echo", value: "idle" }] }],
    });
    expect(lines).toEqual(["agent  state", "echo   idle", "Agents (1)", "echo: idle"]);
  });
});
