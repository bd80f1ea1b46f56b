// The terminal as a chat Surface, so the console runs on the bridge and the commands Discord runs on
// (SurfaceBridge, SurfaceCommands): one channel, "console", where each line typed is a message; a
// line naming one of the surface's commands (`/ask echo hi`) is that command, its options written in
// order (the last one takes the rest of the line) or as `name:value`. A task's thread is its block of
// lines, each starting with the task's id (`[t-…]`); its status reaction is printed as the status
// line of that symbol (`[t-…] 👀 claimed`), unless the thread's last line already says it (a failure's
// `❌ failed: why` is not followed by a bare `❌ failed`); an agent's reply is printed as it is, under
// its own lines; a command's answer is printed as it is, without the code fences a chat draws as
// boxes, and its embeds as lines. Every text is made printable first (printable.ts).
import {
  type InboundCommand,
  type InboundMessage,
  newId,
  SURFACE_COMMANDS,
  type Surface,
  type SurfaceEmbed,
  type SurfaceMessageRef,
  type SurfacePost,
  statusSymbols,
  statusText,
  type TaskState,
  taskIdOfMessage,
} from "@troupe/runtime";
import { printableLine, printableText } from "./printable.ts";

export const CONSOLE_CHANNEL = "console";
/** Who writes on the console, in task inputs and logs. */
const CONSOLE_USER = "console";

export interface ConsoleSurface extends Surface {
  /**
   * A line typed: a command (to the command listeners; one the surface does not have, such as
   * `/frobnicate`, too, to be told so), or a message (to the message listeners).
   */
  deliver(line: string): void;
}

type CommandSpec = (typeof SURFACE_COMMANDS)[number];

const stateOfSymbol = new Map<string, TaskState>(
  Object.entries(statusSymbols).map(([state, { symbol }]) => [symbol, state as TaskState]),
);

/** "/ask <agent> <text>" from the command's required options. */
const usageOf = (spec: CommandSpec) =>
  [
    `/${spec.name}`,
    ...spec.options.filter((option) => option.required).map((option) => `<${option.name}>`),
  ].join(" ");

/**
 * A command's options from what follows its name: `name:value` words set that option (its value
 * runs to the next such word; no space after the colon), the words before the first of them fill the required options in
 * order, the last taking the rest.
 */
export const commandOptions = (spec: CommandSpec | undefined, args: string): Record<string, string> => {
  if (!spec) return {};
  const names = spec.options.map((option) => option.name);
  // A value right after the colon: "text: why" in a sentence is no option.
  const named = new RegExp(`(?:^|\\s)(${names.join("|")}):(?=\\S)`, "g");
  const marks = [...args.matchAll(named)];
  const positional = (marks[0] === undefined ? args : args.slice(0, marks[0].index)).trim();
  const options: Record<string, string> = {};
  marks.forEach((mark, index) => {
    const from = mark.index + mark[0].length;
    const to = marks[index + 1]?.index ?? args.length;
    options[mark[1]!] = args.slice(from, to).trim();
  });
  const free = spec.options.filter((option) => option.required && options[option.name] === undefined);
  let rest = positional;
  free.forEach((option, index) => {
    if (rest === "") return;
    if (index === free.length - 1) {
      options[option.name] = rest;
      rest = "";
      return;
    }
    const word = /^\S+/.exec(rest)![0];
    options[option.name] = word;
    rest = rest.slice(word.length).trim();
  });
  // "/ask @echo hi": a name is written with or without the mention's "@".
  if (options.agent !== undefined) options.agent = options.agent.replace(/^@/, "");
  return options;
};

/** Markdown code fences, which a chat shows as a box and a terminal would print as they are. */
const withoutFences = (text: string) =>
  text
    .split("\n")
    .filter((line) => !/^```\w*$/.test(line.trim()))
    .join("\n");

const embedLines = (embed: SurfaceEmbed): string[] => [
  ...(embed.title ? [embed.title] : []),
  ...(embed.description ? [embed.description] : []),
  ...(embed.fields ?? []).map((field) => `${field.name}: ${field.value}`),
  ...(embed.footer ? [embed.footer.text] : []),
];

export const createConsoleSurface = (print: (text: string) => void): ConsoleSurface => {
  const messageListeners = new Set<(message: InboundMessage) => void>();
  const commandListeners = new Set<(command: InboundCommand) => void>();
  /** Thread (its message's id) → the last line printed in it. */
  const lastLine = new Map<string, string>();

  const prefixOf = (messageId: string) => `[${printableLine(taskIdOfMessage(messageId))}]`;
  const sayIn = (threadId: string, text: string) => {
    const line = printableLine(text);
    lastLine.set(threadId, line);
    print(`${prefixOf(threadId)} ${line}`);
  };
  const printBlock = (content: string, embeds: readonly SurfaceEmbed[] = []) => {
    const text = [content, ...embeds.flatMap(embedLines)].filter((part) => part !== "").join("\n");
    if (text !== "") print(printableText(text));
  };

  const command = (name: string, args: string, message: SurfaceMessageRef): InboundCommand | undefined => {
    const spec = SURFACE_COMMANDS.find((known) => known.name === name);
    const options = commandOptions(spec, args);
    const missing = spec?.options.find((option) => option.required && !options[option.name]);
    if (spec && missing) {
      print(
        `/${name} needs ${missing.name === "task" ? "a task id" : `its ${missing.name}`}: ${usageOf(spec)}`,
      );
      return undefined;
    }
    return {
      id: message.messageId,
      name,
      options,
      userId: CONSOLE_USER,
      channelId: CONSOLE_CHANNEL,
      channelName: CONSOLE_CHANNEL,
      message,
      defer: async () => {},
      // A command's answer is written for a chat: its code fences (around tables) are left out.
      reply: async (content, reply) => printBlock(withoutFences(content), reply?.embeds),
    };
  };

  return {
    kind: "console",
    // A terminal scrolls: a reply is never split or turned into a file.
    maxMessageChars: Number.MAX_SAFE_INTEGER,
    deliver(raw) {
      const line = raw.trim();
      if (line === "") return;
      const ref = { channelId: CONSOLE_CHANNEL, messageId: newId("t").slice(2) };
      const commandMatch = /^\/(\S+)\s*([\s\S]*)$/.exec(line);
      if (commandMatch) {
        const inbound = command(commandMatch[1]!.toLowerCase(), commandMatch[2]!, ref);
        if (inbound) for (const listener of commandListeners) listener(inbound);
        return;
      }
      const message: InboundMessage = {
        id: ref.messageId,
        channelId: CONSOLE_CHANNEL,
        channelName: CONSOLE_CHANNEL,
        threadId: undefined,
        authorId: CONSOLE_USER,
        authorName: CONSOLE_USER,
        fromBot: false,
        content: line,
      };
      for (const listener of messageListeners) listener(message);
    },
    // A task's thread is its message's block of lines: it has the message's id.
    startThread: async (on) => on.messageId,
    async post(channelId, post: SurfacePost) {
      const ref = { channelId, messageId: newId("m") };
      if (channelId === CONSOLE_CHANNEL || post.identity !== undefined) {
        // An agent's reply, or a post in the channel: its text as it is.
        printBlock(post.content, post.embeds);
        if (channelId !== CONSOLE_CHANNEL) lastLine.set(channelId, post.content);
      } else {
        // A status post in the task's block (its ❌ with the reason, say), then its embeds' lines.
        for (const line of post.content.split("\n")) sayIn(channelId, line);
        printBlock("", post.embeds);
      }
      for (const file of post.files ?? [])
        print(`(${printableLine(file.name)}, ${file.data.length} bytes, not shown)`);
      return ref;
    },
    async react(on, emoji) {
      const state = stateOfSymbol.get(emoji);
      if (!lastLine.get(on.messageId)?.startsWith(emoji))
        sayIn(on.messageId, state === undefined ? emoji : statusText(state));
      if (state === "succeeded" || state === "failed" || state === "cancelled") lastLine.delete(on.messageId);
    },
    // One status line follows another: the one it replaces stays printed above it.
    unreact: async () => {},
    // Asked only after a restart: an earlier life's status lines are not on this screen, so a task
    // it left open shows its status again.
    ownReactions: async () => [],
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onCommand(listener) {
      commandListeners.add(listener);
      return () => commandListeners.delete(listener);
    },
  };
};
