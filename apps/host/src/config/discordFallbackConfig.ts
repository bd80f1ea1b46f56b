// Where `troupe start` on Discord keeps its outgoing messages while Discord's REST keeps failing (the
// file-drop fallback, replayed in order when Discord is back): TROUPE_DISCORD_FALLBACK_DIR, by default
// discord-fallback in the data folder. Whether the folder can be written is checked when troupe starts
// on Discord.
import { resolve } from "node:path";

export const DEFAULT_DISCORD_FALLBACK_DIR = "discord-fallback";

export const resolveDiscordFallbackDir = (
  env: NodeJS.ProcessEnv,
  options: { readonly dataDir: string; readonly cwd: string },
): string => {
  const dir = env.TROUPE_DISCORD_FALLBACK_DIR?.trim();
  return dir ? resolve(options.cwd, dir) : resolve(options.dataDir, DEFAULT_DISCORD_FALLBACK_DIR);
};
