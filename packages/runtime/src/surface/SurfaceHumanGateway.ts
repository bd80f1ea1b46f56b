// The HumanGateway on a chat surface (Discord): a question is posted in the task's thread and the next
// message a person (not a bot) writes there is the answer; an approval is posted with the action and
// its short hash, the surface adds ✅ and ❌, and the first of those added by a member with one of the
// approver roles decides (anyone's counts when no role is configured). The surface is attached once
// connected (the team needs its gateway before); a task with no thread on it goes to the fallback.
// A poll (`ctx.poll`) is run in the thread by SurfacePoll. While a question waits, the target is told
// (`awaitsAnswer`), so the bridge takes the answer for no follow-up even without the task's events.
// With a store, an approval asked again after a restart finds the message it posted before and the
// ✅/❌ added to it meanwhile (approvalMessage.ts) instead of posting a second one.
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import type { ApprovalAnswer, ApprovalRequest } from "../human/Approval.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { HumanGateway } from "../supervisor/SupervisorCore.ts";
import type { Task } from "../task/Task.ts";
import { findApprovalMessage, reactionsSoFar, saveApprovalMessage } from "./approvalMessage.ts";
import type { InboundReaction, Surface, SurfaceMessageRef } from "./Surface.ts";
import { runSurfacePoll } from "./SurfacePoll.ts";
import { holdsAllowedRole, roleMentions } from "./surfaceRoles.ts";

export interface SurfaceHumanGatewayOptions {
  /** Role names or ids whose members may approve; empty: anyone who is not a bot. */
  readonly approverRoles: readonly string[];
  /** Where a task with no thread on the surface is asked (the console's gateway on the host). */
  readonly fallback?: HumanGateway;
  readonly logger?: Logger;
}

export interface SurfaceTarget {
  readonly surface: Surface;
  /** The task's thread on the surface, undefined when it has none. */
  threadOf(taskId: string): Promise<string | undefined>;
  /** Where the approval messages it posts are remembered across a restart (the host's store). */
  readonly store?: SnapshotStore;
  /** Told while a question waits for its answer in the task's thread (the bridge's `awaitsAnswer`). */
  awaitsAnswer?(taskId: string, waits: boolean): void;
}

export interface SurfaceHumanGateway extends HumanGateway {
  /** Start asking on this surface; returns the detach function. */
  attach(target: SurfaceTarget): () => void;
}

const APPROVE = "✅";
const DENY = "❌";
const MAX_ACTION_CHARS = 1_500;

const aborted = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

export const createSurfaceHumanGateway = (options: SurfaceHumanGatewayOptions): SurfaceHumanGateway => {
  const logger = options.logger ?? silentLogger;
  const roles = options.approverRoles;
  let attached!: (target: SurfaceTarget | undefined) => void;
  let target = new Promise<SurfaceTarget | undefined>((resolve) => {
    attached = resolve;
  });

  /** The surface and the task's thread, or undefined when the task is not on the surface. */
  const placeOf = async (task: Task, signal: AbortSignal) => {
    const on = await Promise.race([target, aborted(signal)]);
    const thread = on ? await on.threadOf(task.id) : undefined;
    return on && thread !== undefined
      ? { surface: on.surface, thread, store: on.store, awaitsAnswer: on.awaitsAnswer }
      : undefined;
  };

  /** The approval as posted: the action, its short hash, its expiry and how to answer. */
  const approvalPost = (request: ApprovalRequest, agent: string, surface: Surface) => {
    const { prefix, mentions } = roleMentions(surface, roles);
    const shown =
      request.canonical.length > MAX_ACTION_CHARS
        ? `${request.canonical.slice(0, MAX_ACTION_CHARS)}…`
        : request.canonical;
    const expires = Math.floor(request.expiresAt / 1_000);
    return {
      content:
        `${prefix}✋ ${agent} asks for approval of #${request.shortHash} (expires <t:${expires}:R>):\n` +
        `\`\`\`json\n${shown}\n\`\`\`\nReact ${APPROVE} to approve or ${DENY} to deny` +
        (roles.length > 0 ? ` (members with the role ${roles.join(" or ")}).` : "."),
      mentions,
    };
  };
  const mayApprove = (reaction: InboundReaction) => !reaction.fromBot && holdsAllowedRole(reaction, roles);

  /** Resolve with the first value `listen` hands over, until `signal` aborts; unsubscribes either way. */
  const until = <T>(signal: AbortSignal, listen: (settle: (value: T) => void) => () => void): Promise<T> => {
    let stop = () => {};
    const settled = new Promise<T>((resolve) => {
      stop = listen(resolve);
    });
    return Promise.race([settled, aborted(signal)]).finally(() => stop());
  };

  return {
    attach(next) {
      attached(next);
      target = Promise.resolve(next);
      return () => {
        target = Promise.resolve(undefined);
      };
    },

    async ask(question, context) {
      const place = await placeOf(context.task, context.signal);
      if (!place) {
        if (options.fallback) return options.fallback.ask(question, context);
        throw new Error(`task ${context.task.id} has no thread to ask its question in`);
      }
      const { surface, thread, awaitsAnswer } = place;
      const { prefix, mentions } = roleMentions(surface, roles);
      const answer = until<string>(context.signal, (settle) =>
        surface.onMessage((message) => {
          if (message.threadId === thread && !message.fromBot && message.content.trim() !== "")
            settle(message.content.trim());
        }),
      );
      answer.catch(() => {}); // awaited below; not unhandled if it aborts while posting
      awaitsAnswer?.(context.task.id, true);
      try {
        await surface.post(thread, {
          content: `${prefix}❓ ${context.agent} asks: ${question}\nReply in this thread to answer.`,
          mentions,
        });
        return await answer;
      } finally {
        awaitsAnswer?.(context.task.id, false);
      }
    },

    async approve(request: ApprovalRequest, context): Promise<ApprovalAnswer> {
      const place = await placeOf(context.task, context.signal);
      if (!place) {
        if (options.fallback?.approve) return options.fallback.approve(request, context);
        throw new Error(`task ${context.task.id} has no thread to ask its approval in`);
      }
      const { surface, thread, store } = place;
      if (!surface.onReaction) throw new Error(`the ${surface.kind} surface cannot take reactions`);
      const taskId = context.task.id;
      const judge = (reaction: InboundReaction): ApprovalAnswer | undefined => {
        if (reaction.fromBot || (reaction.emoji !== APPROVE && reaction.emoji !== DENY)) return undefined;
        if (!mayApprove(reaction)) {
          logger.log("info", "surface: an approval reaction from someone without an approver role, ignored", {
            taskId,
            hash: request.shortHash,
            user: reaction.userName,
          });
          return undefined;
        }
        return {
          hash: request.hash,
          approved: reaction.emoji === APPROVE,
          by: `${surface.kind}:${reaction.userName}`,
        };
      };
      const earlier = await findApprovalMessage(store, taskId, request.hash);
      const posted: SurfaceMessageRef =
        earlier ?? (await surface.post(thread, approvalPost(request, context.agent, surface)));
      if (earlier)
        logger.log("info", "surface: the approval's message from before the restart, found again", {
          taskId,
          hash: request.shortHash,
          messageId: earlier.messageId,
        });
      else await saveApprovalMessage(store, taskId, request.hash, posted);
      const decision = until<ApprovalAnswer>(context.signal, (settle) => {
        const decide = (reaction: InboundReaction) => {
          if (reaction.messageId !== posted.messageId) return;
          const answer = judge(reaction);
          if (answer) settle(answer);
        };
        const stop = surface.onReaction!(decide);
        // Reactions added while the host was down (a ❌ counts before a ✅): read back from the surface.
        if (earlier)
          void reactionsSoFar(surface, posted, [DENY, APPROVE]).then(
            (found) => {
              for (const reaction of found) decide({ ...reaction, messageId: posted.messageId });
            },
            (error: unknown) =>
              logger.log("warn", "surface: the approval's reactions could not be read", {
                taskId,
                error: error instanceof Error ? error.message : String(error),
              }),
          );
        return stop;
      });
      decision.catch(() => {}); // awaited below; not unhandled if it aborts while reacting
      if (!earlier) {
        await surface.react(posted, APPROVE);
        await surface.react(posted, DENY);
      }
      return decision;
    },

    async poll(request, context) {
      const place = await placeOf(context.task, context.signal);
      if (!place) {
        if (options.fallback?.poll) return options.fallback.poll(request, context);
        throw new Error(`task ${context.task.id} has no thread to put its vote in`);
      }
      return runSurfacePoll(place, request, context, logger);
    },
  };
};
