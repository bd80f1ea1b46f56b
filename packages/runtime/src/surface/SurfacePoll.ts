// A poll on a chat surface: the question is posted in the task's thread with its choices numbered by
// keycap emojis (1️⃣ … 🔟), the surface adds those reactions, and each person's keycap reaction on
// that message is a vote (their latest one counts; bots never count; with roles, only members who
// hold one). It resolves as soon as one choice has the quorum, or at the expiry with the tally.
import { type PollRequest, type PollResult, PollTally } from "../human/Poll.ts";
import type { PollContext } from "../human/requestPoll.ts";
import type { Logger } from "../log/Logger.ts";
import type { InboundReaction, Surface } from "./Surface.ts";
import { holdsAllowedRole, roleMentions } from "./surfaceRoles.ts";

/** The reaction of each choice, in order. */
export const KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"] as const;

// Some clients send keycaps without the variation selector (U+FE0F): compare without it.
const bare = (emoji: string) => emoji.replaceAll("\uFE0F", "");
const BARE_KEYCAPS: readonly string[] = KEYCAPS.map(bare);

export interface SurfacePollPlace {
  readonly surface: Surface;
  /** The task's thread, where the poll is posted. */
  readonly thread: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The poll's message: the question, the numbered choices, how to vote and what is already counted. */
export const pollText = (request: PollRequest, agent: string, mentionPrefix = ""): string => {
  const closes = Math.floor(request.expiresAt / 1_000);
  const who = request.roles.length > 0 ? ` Members with the role ${request.roles.join(" or ")} vote.` : "";
  const counted =
    request.votes.length > 0
      ? `\nAlready counted: ${request.votes.map((vote) => `${vote.voter} → ${vote.choice}`).join(", ")}.`
      : "";
  return [
    `${mentionPrefix}🗳️ ${agent} asks for a vote: ${request.question}`,
    ...request.choices.map((choice, index) => `${KEYCAPS[index]} ${choice}`),
    `React with the number of your choice (one vote each: a later one replaces it). The first choice with ${plural(request.quorum, "vote")} wins; the vote closes <t:${closes}:R>.${who}${counted}`,
  ].join("\n");
};

export const runSurfacePoll = async (
  place: SurfacePollPlace,
  request: PollRequest,
  context: PollContext,
  logger: Logger,
): Promise<PollResult> => {
  const { surface, thread } = place;
  if (!surface.onReaction) throw new Error(`the ${surface.kind} surface cannot take reactions, so no votes`);
  const { prefix, mentions } = roleMentions(surface, request.roles);
  const posted = await surface.post(thread, { content: pollText(request, context.agent, prefix), mentions });
  const tally = new PollTally(request);
  const choiceOf = (reaction: InboundReaction): string | undefined => {
    if (reaction.messageId !== posted.messageId || reaction.fromBot) return undefined;
    const index = BARE_KEYCAPS.indexOf(bare(reaction.emoji));
    const choice = request.choices[index];
    if (choice === undefined) return undefined;
    if (!holdsAllowedRole(reaction, request.roles)) {
      logger.log("info", "surface: a vote from someone without a voter role, ignored", {
        taskId: context.task.id,
        user: reaction.userName,
      });
      return undefined;
    }
    return choice;
  };
  let stop = () => {};
  const closed = new Promise<PollResult>((resolve, reject) => {
    const onAbort = () => reject(context.signal.reason);
    const onExpiry = () => resolve(tally.result("expiry"));
    if (context.signal.aborted) return onAbort();
    if (context.expiry.aborted) return onExpiry();
    context.signal.addEventListener("abort", onAbort, { once: true });
    context.expiry.addEventListener("abort", onExpiry, { once: true });
    const unsubscribe = surface.onReaction!((reaction) => {
      const choice = choiceOf(reaction);
      if (choice === undefined) return;
      tally.cast(`${surface.kind}:${reaction.userName}`, choice);
      if (tally.winner !== undefined) resolve(tally.result("quorum"));
    });
    stop = () => {
      unsubscribe();
      context.signal.removeEventListener("abort", onAbort);
      context.expiry.removeEventListener("abort", onExpiry);
    };
  }).finally(() => stop());
  closed.catch(() => {}); // awaited below; not unhandled if it ends while the keycaps are added
  for (const keycap of KEYCAPS.slice(0, request.choices.length)) await surface.react(posted, keycap);
  return closed;
};
