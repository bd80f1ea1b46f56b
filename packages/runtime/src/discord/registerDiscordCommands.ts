// `troupe register-commands`: put the surface's slash commands (SURFACE_COMMANDS: /ask, /fanout,
// /status, /agents, /cancel, /retry, /schedule) on Discord, for one guild (at once) or globally
// (Discord may take up to an hour to show them). A PUT replaces the whole list, so running it again
// is harmless.

import { SURFACE_COMMANDS, type SurfaceCommandOption } from "../surface/surfaceCommandList.ts";
import { ApplicationCommandOptionType, REST, Routes } from "./discordJs.ts";

export interface RegisterDiscordCommandsOptions {
  readonly token: string;
  readonly applicationId: string;
  /** Register in this guild only (shown at once); globally when absent. */
  readonly guildId?: string;
  readonly apiUrl?: string;
  readonly signal?: AbortSignal;
}

/** The slash commands as Discord's API wants them. */
export const discordCommandBodies = () =>
  SURFACE_COMMANDS.map((command) => ({
    name: command.name,
    description: command.description,
    type: 1,
    options: command.options.map((option: SurfaceCommandOption) => ({
      name: option.name,
      description: option.description,
      type: ApplicationCommandOptionType.String,
      required: option.required,
      ...(option.choices
        ? { choices: option.choices.map((choice) => ({ name: choice, value: choice })) }
        : {}),
    })),
  }));

/** Register the commands; resolves to the names Discord now has. */
export const registerDiscordCommands = async (options: RegisterDiscordCommandsOptions): Promise<string[]> => {
  const rest = new REST(options.apiUrl === undefined ? {} : { api: options.apiUrl }).setToken(options.token);
  const route =
    options.guildId === undefined
      ? Routes.applicationCommands(options.applicationId)
      : Routes.applicationGuildCommands(options.applicationId, options.guildId);
  const registered = (await rest.put(route, {
    body: discordCommandBodies(),
    ...(options.signal ? { signal: options.signal } : {}),
  })) as { name: string }[];
  return registered.map((command) => command.name);
};
