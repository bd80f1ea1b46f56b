// The roles that may answer a prompt on a chat surface (approvals, votes), given as names or ids: who
// counts (a member holding one of them, or anyone when none is configured) and the mention that pings
// them when the prompt is posted.
import type { InboundReaction, Surface, SurfacePost } from "./Surface.ts";

export const holdsAllowedRole = (reaction: InboundReaction, roles: readonly string[]): boolean =>
  roles.length === 0 ||
  reaction.roles.some(
    (role) => roles.includes(role.id) || (role.name !== undefined && roles.includes(role.name)),
  );

/** The text to put before a prompt and the post's `mentions`, so only those roles are pinged. */
export const roleMentions = (
  surface: Surface,
  roles: readonly string[],
): { readonly prefix: string; readonly mentions: NonNullable<SurfacePost["mentions"]> } => {
  const ids = roles.length > 0 ? (surface.roleIds?.(roles) ?? []) : [];
  return { prefix: ids.map((id) => `<@&${id}> `).join(""), mentions: { roles: ids } };
};
