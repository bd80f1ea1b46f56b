// With several hosts on one Redis, only the holder of the gateway lease connects to Discord. This runs
// the Discord front in terms: stand by (the host's worker still runs tasks from the shared queue)
// until this host takes the lease, then connect and run the bridge and the slash commands; when the
// lease is lost (another host holds it, or Redis was out of reach for a whole ttl) disconnect at once
// and stand by again. Stopping drains the front as usual, disconnects, and releases the lease so a
// standby host takes the gateway over without waiting for the ttl. While it holds the gateway, the
// host also serves the questions, approvals and votes of every host's tasks (the human relay) in the
// tasks' threads; it stops serving before it lets go, so the next holder takes the open ones over.
// A holder resumed after a freeze (SIGSTOP, a paused VM, a stalled event loop) may run queued work
// before it learns the lease is gone, so every call that changes Discord, and every message or slash
// command it would take, is fenced by the lease's `confirm()`.
import type { LeaseLostReason, RedisHumanRelay, RedisLease } from "@troupe/runtime/redis";
import { Cause, Effect } from "effect";
import { Gauge, type Registry } from "prom-client";
import {
  checkChannelAgents,
  type DiscordFront,
  type DiscordFrontOptions,
  startDiscordFront,
} from "./startDiscordFront.ts";

/** What the host needs of the Discord front it runs: wait for it, stop it, ask how it is. */
export type RunningFront = Pick<DiscordFront, "done" | "stop" | "health">;

export interface LeasedDiscordFrontOptions extends DiscordFrontOptions {
  /** The lease `troupe:<namespace>:discord:gateway`, shared by every host on the Redis. */
  readonly lease: RedisLease;
  /** Where every host's tasks ask people: served here, with `human`, while this host holds the gateway. */
  readonly relay?: RedisHumanRelay;
}

/** Resolves with why the lease was lost, the first time it is after this call. */
const nextLoss = (lease: RedisLease) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let unsubscribe = () => {};
      const lost = new Promise<LeaseLostReason>((resolve) => {
        unsubscribe = lease.onLost(resolve);
      });
      return { lost, unsubscribe };
    }),
    ({ unsubscribe }) => Effect.sync(unsubscribe),
  ).pipe(Effect.map(({ lost }) => lost));

/** `troupe_discord_gateway_held`: 1 on the host holding the gateway lease, 0 on those standing by. */
const countHeld = (registry: Registry, lease: RedisLease) =>
  (registry.getSingleMetric("troupe_discord_gateway_held") as Gauge | undefined) ??
  new Gauge({
    name: "troupe_discord_gateway_held",
    help: "1 while this host holds the Discord gateway lease (and connects to Discord), 0 while it stands by.",
    registers: [registry],
    collect() {
      this.set(lease.held ? 1 : 0);
    },
  });

export const holdDiscordWhileLeased = (options: LeasedDiscordFrontOptions) =>
  Effect.gen(function* () {
    const { lease, logger } = options;
    checkChannelAgents(options.discord, options.team); // a bad map stops every host, not only the holder
    if (options.registry) countHeld(options.registry, lease);
    const stopping = new AbortController();
    let stopReason = "stopped";
    let current: DiscordFront | undefined;

    /** Connect and run the front until it is stopped or the lease is lost; disconnects when it ends. */
    const hold = Effect.scoped(
      Effect.gen(function* () {
        const lost = yield* nextLoss(lease);
        if (!lease.held) return; // lost before we listened: stand by again
        logger.log("info", "discord gateway: this host holds the gateway lease; connecting", {
          key: lease.key,
          holder: lease.token,
        });
        // Every call that changes Discord, and every message or command before it is taken, first
        // confirms the lease with Redis (at most once per half ttl): `lease.held` alone is stale in a
        // host resumed after a freeze, before its timers ran.
        const front = yield* startDiscordFront({ ...options, fence: () => lease.confirm() });
        current = front;
        if (stopping.signal.aborted) void front.stop(stopReason);
        const { relay, human } = options;
        const serving = relay && human ? relay.serve(human) : undefined;
        yield* Effect.addFinalizer(() => Effect.promise(() => serving?.stop() ?? Promise.resolve()));
        const reason = yield* Effect.promise(() => Promise.race([front.done.then(() => undefined), lost]));
        current = undefined;
        yield* Effect.promise(() => serving?.stop() ?? Promise.resolve());
        if (reason === undefined) return;
        logger.log("warn", "discord gateway: lost the gateway lease; disconnecting and standing by", {
          key: lease.key,
          reason,
        });
        yield* Effect.promise(() => front.letGo(`gateway lease lost (${reason})`));
      }),
    );

    const terms = Effect.gen(function* () {
      while (!stopping.signal.aborted) {
        const holder = yield* Effect.promise(() => lease.holder().catch(() => undefined));
        logger.log("info", "discord gateway: standing by until this host holds the gateway lease", {
          key: lease.key,
          ttlMs: lease.ttlMs,
          holder: holder ?? null,
        });
        const acquired = yield* Effect.promise((interrupted) =>
          lease.waitUntilAcquired(AbortSignal.any([interrupted, stopping.signal])),
        );
        if (!acquired || stopping.signal.aborted) break;
        yield* hold;
      }
      yield* Effect.promise(() => lease.release());
    });

    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    yield* Effect.forkScoped(
      terms.pipe(
        Effect.matchCause({
          onSuccess: () => settle.resolve(),
          onFailure: (cause) => settle.reject(Cause.squash(cause)),
        }),
      ),
    );
    const front: RunningFront = {
      done,
      // Standing by is healthy: another host holds the gateway, and this one runs tasks from the queue.
      health: (signal) => current?.health(signal) ?? { status: "up", details: { gateway: "standby" } },
      async stop(reason) {
        stopReason = reason;
        stopping.abort();
        await current?.stop(reason);
        await done;
      },
    };
    return front;
  });
