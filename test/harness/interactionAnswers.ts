// Test support: what Troupe answered to a slash command run on the Discord stand-in — the callback
// (deferred, or an answer at once) and the answers that followed (the deferred reply's edit, then
// follow-ups), waited for as events instead of slept for.
import type { DiscordStandIn, StandInEvent } from "./discordStandIn.ts";

export type InteractionCallback = Extract<StandInEvent, { kind: "interaction-callback" }>;
export type InteractionAnswer = Extract<StandInEvent, { kind: "followup" }>;

/** The interaction's callback: `{ type: 5 }` when deferred, `{ type: 4, data }` when answered at once. */
export const interactionCallback = (standIn: DiscordStandIn, id: string): Promise<InteractionCallback> =>
  standIn.waitFor(
    (event): event is InteractionCallback =>
      event.kind === "interaction-callback" && event.interactionId === id,
    `the callback of ${id}`,
  );

const answersOf = (standIn: DiscordStandIn, id: string) =>
  standIn.events.filter(
    (event): event is InteractionAnswer => event.kind === "followup" && event.interactionId === id,
  );

/** The first `count` answers after the callback (default 1), once they came. */
export const interactionAnswers = async (
  standIn: DiscordStandIn,
  id: string,
  count = 1,
  deadlineMs?: number,
): Promise<InteractionAnswer[]> => {
  await standIn.waitFor(
    () => answersOf(standIn, id).length >= count,
    `${count} answers to ${id}`,
    deadlineMs,
  );
  return answersOf(standIn, id).slice(0, count);
};

/** The content of the first answer to a deferred command. */
export const answerText = async (
  standIn: DiscordStandIn,
  id: string,
  deadlineMs?: number,
): Promise<string> => {
  const [answer] = await interactionAnswers(standIn, id, 1, deadlineMs);
  return String(answer!.body.content ?? "");
};
