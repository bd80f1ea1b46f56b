// @troupe/runtime/discord: the Surface port on discord.js. Only this entry imports discord.js; the
// bridge that drives a surface (threads, reactions, replies) is in the core.
export {
  createDiscordSurface,
  DISCORD_INTENTS,
  type DiscordSurface,
  type DiscordSurfaceOptions,
  type DiscordSurfaceStats,
} from "./DiscordSurface.ts";
export {
  discordCommandBodies,
  type RegisterDiscordCommandsOptions,
  registerDiscordCommands,
} from "./registerDiscordCommands.ts";
