// `troupe register-commands`: register the slash commands (/ask, /fanout, /status, /agents, /cancel,
// /retry, /schedule) with Discord for the application in DISCORD_APPLICATION_ID — in
// DISCORD_GUILD_ID when set (at once), else globally. Uses DISCORD_TOKEN and DISCORD_API_URL like `troupe start`; the token is never printed.
import type { Writable } from "node:stream";
import { SURFACE_COMMANDS, TroupeError } from "@troupe/runtime";
import { resolveDiscordConfig } from "../config/discordConfig.ts";

export const registerCommandsUsage = `troupe register-commands: register Troupe's slash commands with Discord.

Usage:
  troupe register-commands

Registers ${SURFACE_COMMANDS.map((command) => `/${command.name}`).join(", ")} for the application
DISCORD_APPLICATION_ID, in the server DISCORD_GUILD_ID when it is set (shown at once) or globally
(Discord may take up to an hour). Running it again replaces the list. Needs DISCORD_TOKEN; reads DISCORD_API_URL and DISCORD_CONFIG
like troupe start.
`;

export const registerCommands = async (
  args: readonly string[],
  io: { readonly stdout: Writable; readonly env: NodeJS.ProcessEnv },
): Promise<number> => {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(registerCommandsUsage);
    return 0;
  }
  if (args.length > 0) throw new TroupeError("InvalidCommand", `unexpected argument "${args[0]}"`);
  const discord = resolveDiscordConfig(io.env, process.cwd(), { requireChannels: false });
  if (!discord) throw new TroupeError("InvalidCommand", "DISCORD_TOKEN must be set to register commands");
  if (!discord.applicationId)
    throw new TroupeError("InvalidCommand", "DISCORD_APPLICATION_ID must be set to register commands");
  const { registerDiscordCommands } = await import("@troupe/runtime/discord");
  const names = await registerDiscordCommands({
    token: discord.token.reveal(),
    applicationId: discord.applicationId,
    ...(discord.guildId === undefined ? {} : { guildId: discord.guildId }),
    ...(discord.apiUrl === undefined ? {} : { apiUrl: discord.apiUrl }),
    signal: AbortSignal.timeout(30_000),
  });
  io.stdout.write(
    `Registered ${names.map((name) => `/${name}`).join(", ")} ${discord.guildId ? `in server ${discord.guildId}` : "globally"}.\n`,
  );
  return 0;
};
