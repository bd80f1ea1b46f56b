// discord.js, the optional peer dependency of @troupe/runtime/discord: loaded once here, so without
// it the entry fails with one line naming the package (importPeer). Types come from discord.js.
import type * as DiscordJs from "discord.js";
import { importPeer } from "../internal/importPeer.ts";

const discord = await importPeer("@troupe/runtime/discord", "discord.js", () => import("discord.js"));

export const {
  ApplicationCommandOptionType,
  AttachmentBuilder,
  Client,
  DefaultRestOptions,
  Events,
  GatewayIntentBits,
  MessageFlags,
  REST,
  Routes,
  SnowflakeUtil,
  Status,
} = discord;
export type Client = DiscordJs.Client;
