// Whether a member who reacted holds one of the configured roles (given as names or ids): the check
// behind approvals and votes on a chat surface.
import type { InboundReaction } from "./Surface.ts";

export const hasAnyRole = (reaction: InboundReaction, roles: readonly string[]): boolean =>
  reaction.roles.some(
    (role) => roles.includes(role.id) || (role.name !== undefined && roles.includes(role.name)),
  );
