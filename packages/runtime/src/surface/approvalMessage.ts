// An approval's message on a chat surface, remembered so it outlives a restart: its ref is saved next
// to the approval itself (under `approval/<taskId>/<hash>/message`, forgotten with the task's other
// approvals when it ends), and the ✅/❌ already on it are read back from the surface — so an
// approval asked again after a restart finds its message instead of posting a second one, and a
// decision added while the host was down counts.
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { approvalKey } from "../human/requestApproval.ts";
import type { InboundReaction, Surface, SurfaceMessageRef } from "./Surface.ts";

const keyOf = (taskId: string, hash: string) => `${approvalKey(taskId, hash)}/message`;

const isRef = (value: unknown): value is SurfaceMessageRef =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SurfaceMessageRef).channelId === "string" &&
  typeof (value as SurfaceMessageRef).messageId === "string";

/** The message posted for this approval before a restart, if any. */
export const findApprovalMessage = async (
  store: SnapshotStore | undefined,
  taskId: string,
  hash: string,
): Promise<SurfaceMessageRef | undefined> => {
  const saved = store ? await store.load(keyOf(taskId, hash)) : undefined;
  return isRef(saved) ? { channelId: saved.channelId, messageId: saved.messageId } : undefined;
};

export const saveApprovalMessage = async (
  store: SnapshotStore | undefined,
  taskId: string,
  hash: string,
  message: SurfaceMessageRef,
): Promise<void> => {
  await store?.save(keyOf(taskId, hash), message);
};

/**
 * The people's reactions with these emoji on the message now, in the order of `emoji` (empty on a
 * surface that cannot read them).
 */
export const reactionsSoFar = async (
  surface: Surface,
  message: SurfaceMessageRef,
  emoji: readonly string[],
): Promise<readonly InboundReaction[]> => {
  if (!surface.reactionsOn) return [];
  const found: InboundReaction[] = [];
  for (const one of emoji) found.push(...(await surface.reactionsOn(message, one)));
  return found.filter((reaction) => !reaction.fromBot);
};
