// The MCP client side: each configured server (stdio child process or streamable HTTP) connects on
// its own, and each agent gets the tools of the connected servers that its allow-list names, as
// `LlmTool`s. A server that cannot be reached is named in one warning and retried in the background
// with backoff (its tools join once it connects); the others' tools work meanwhile. `close()` ends
// them all.
import { type Actor, createActor, fromPromise } from "xstate";
import type { LlmTool } from "../llm/Llm.ts";
import type { Logger } from "../log/Logger.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { connectMcpServer, describeMcpServer, type McpConnection } from "./connectMcpServer.ts";
import { isAllowed, type McpConfig, type McpServerConfig } from "./McpConfig.ts";
import { mcpServerMachine } from "./mcpServerMachine.ts";

export interface McpServerStatus {
  readonly name: string;
  readonly state: "connecting" | "connected" | "waiting" | "stopped";
  /** Its tools while connected (`<server>_<tool>`). */
  readonly tools: readonly string[];
  /** Why it is not connected, when it is not. */
  readonly error: string | undefined;
}

export interface McpToolbox {
  /** Every tool of every connected server, named `<server>_<tool>`. */
  readonly tools: readonly LlmTool[];
  /** The tools `agent` may use (its allow-list) from the servers connected now. */
  toolsFor(agent: string): readonly LlmTool[];
  /** Each server's state, in configuration order. */
  servers(): readonly McpServerStatus[];
  close(): Promise<void>;
}

export interface ConnectMcpOptions {
  readonly logger?: Logger;
  /** Limits each attempt to connect and list (default 30s). */
  readonly connectTimeout?: Duration;
  /** Each call's deadline (default 2 minutes), besides the caller's signal. */
  readonly callTimeoutMs?: number;
  /** Between attempts at a server that is not connected: base · 2^(n−1), capped, with jitter (default 1s, 5m). */
  readonly backoff?: { readonly base?: Duration; readonly max?: Duration };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

type ServerActor = Actor<typeof mcpServerMachine>;

/**
 * Connect to every configured server, each on its own. Resolves once each has connected or failed
 * its first attempt; a failed one keeps being retried in the background until `close()`.
 */
export const connectMcp = async (config: McpConfig, options: ConnectMcpOptions = {}): Promise<McpToolbox> => {
  const logger = options.logger;
  const connectTimeoutMs = toMillis(options.connectTimeout ?? "30s", "connectTimeout");
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;
  const backoff = {
    baseMs: toMillis(options.backoff?.base ?? "1s", "backoff.base"),
    maxMs: toMillis(options.backoff?.max ?? "5m", "backoff.max"),
  };
  const machine = mcpServerMachine.provide({
    actors: {
      connect: fromPromise<McpConnection, McpServerConfig>(({ input, signal }) =>
        connectMcpServer(input, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(connectTimeoutMs)]),
          callTimeoutMs,
        }),
      ),
    },
    actions: {
      reportUnavailable: ({ context }) =>
        logger?.log("warn", "MCP server not connected: its tools are missing until it is, retrying", {
          server: context.server.name,
          target: describeMcpServer(context.server),
          error: message(context.error),
        }),
      reportRetryFailed: ({ context }) =>
        logger?.log("debug", "MCP server still not connected", {
          server: context.server.name,
          attempts: context.failures,
          error: message(context.error),
        }),
      reportConnected: ({ context }) =>
        logger?.log("info", "MCP tools listed", {
          server: context.server.name,
          tools: context.connection?.tools.map((tool) => tool.name) ?? [],
          ...(context.failures > 0 ? { afterFailedAttempts: context.failures } : {}),
        }),
    },
  });
  const actors: ServerActor[] = config.servers.map((server) =>
    createActor(machine, { input: { server, backoff } }).start(),
  );
  // The first attempt of each, in parallel: settled once no server is still connecting.
  await Promise.all(
    actors.map(
      (actor) =>
        new Promise<void>((resolve) => {
          const settled = () => !actor.getSnapshot().matches("connecting");
          if (settled()) return resolve();
          const subscription = actor.subscribe(() => {
            if (!settled()) return;
            subscription.unsubscribe();
            resolve();
          });
        }),
    ),
  );
  const connected = () =>
    actors.flatMap((actor) => {
      const snapshot = actor.getSnapshot();
      return snapshot.matches("connected") && snapshot.context.connection
        ? snapshot.context.connection.tools
        : [];
    });
  return {
    get tools() {
      return connected();
    },
    toolsFor: (agent) => connected().filter((tool) => isAllowed(config.allow[agent], tool.name)),
    servers: () =>
      actors.map((actor) => {
        const { context, value } = actor.getSnapshot();
        return {
          name: context.server.name,
          state: value as McpServerStatus["state"],
          tools: value === "connected" ? (context.connection?.tools.map((tool) => tool.name) ?? []) : [],
          error: value === "connected" || context.error === undefined ? undefined : message(context.error),
        };
      }),
    async close() {
      const open = actors.flatMap((actor) => {
        const { connection } = actor.getSnapshot().context;
        actor.send({ type: "stop" });
        actor.stop();
        return connection ? [connection.client] : [];
      });
      await Promise.allSettled(open.map((client) => client.close()));
    },
  };
};
