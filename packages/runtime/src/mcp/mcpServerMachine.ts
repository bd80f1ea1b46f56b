// The lifecycle of one MCP server's connection, on its own: connecting → connected, or → waiting
// after a failure, then connecting again after the team's backoff (exponential with jitter, the
// durable worker's `backoffDelay`); a connection that closes goes back to waiting. A server that
// fails never holds up the others. `stop` ends it from any state, leaving the connection (if any) in
// the context for its owner to close.
import { assign, fromCallback, fromPromise, setup } from "xstate";
import { backoffDelay } from "../durable/DurableWorker.ts";
import type { McpConnection } from "./connectMcpServer.ts";
import type { McpServerConfig } from "./McpConfig.ts";

export interface McpServerInput {
  readonly server: McpServerConfig;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
}

export interface McpServerContext extends McpServerInput {
  readonly connection: McpConnection | undefined;
  /** Failed attempts since the server was last connected. */
  readonly failures: number;
  /** Why the last attempt failed, or why the connection closed. */
  readonly error: unknown;
}

type McpServerEvent = { type: "closed" } | { type: "stop" };

export const mcpServerMachine = setup({
  types: {} as { input: McpServerInput; context: McpServerContext; events: McpServerEvent },
  actors: {
    connect: fromPromise<McpConnection, McpServerConfig>(() => {
      throw new Error("provide the `connect` actor");
    }),
    /** Reports `closed` when the connection ends from the other side. */
    watchConnection: fromCallback<McpServerEvent, McpConnection>(({ input, sendBack }) => {
      input.client.onclose = () => sendBack({ type: "closed" });
      return () => {
        input.client.onclose = undefined;
      };
    }),
  },
  actions: {
    /** The server has just become unavailable (it failed, or its connection closed): one warning. */
    reportUnavailable: () => {},
    /** Another attempt failed while it was unavailable already. */
    reportRetryFailed: () => {},
    /** Connected; `context.failures` still counts the attempts that failed before. */
    reportConnected: () => {},
    recordFailure: assign({
      failures: ({ context }) => context.failures + 1,
      error: ({ event }) => (event as { error?: unknown }).error,
    }),
  },
  delays: {
    retryDelay: ({ context }) =>
      backoffDelay(context.failures, context.backoff.baseMs, context.backoff.maxMs),
  },
  guards: {
    wasAvailable: ({ context }) => context.failures === 0,
  },
}).createMachine({
  id: "mcpServer",
  context: ({ input }) => ({ ...input, connection: undefined, failures: 0, error: undefined }),
  initial: "connecting",
  on: { stop: { target: ".stopped" } },
  states: {
    connecting: {
      invoke: {
        src: "connect",
        input: ({ context }) => context.server,
        onDone: {
          target: "connected",
          actions: [assign({ connection: ({ event }) => event.output }), "reportConnected"],
        },
        onError: [
          { guard: "wasAvailable", target: "waiting", actions: ["recordFailure", "reportUnavailable"] },
          { target: "waiting", actions: ["recordFailure", "reportRetryFailed"] },
        ],
      },
    },
    connected: {
      invoke: { src: "watchConnection", input: ({ context }) => context.connection! },
      entry: assign({ failures: 0, error: undefined }),
      on: {
        closed: {
          target: "waiting",
          actions: [
            assign({
              connection: undefined,
              failures: 1,
              error: () => new Error("the connection closed"),
            }),
            "reportUnavailable",
          ],
        },
      },
    },
    waiting: { after: { retryDelay: "connecting" } },
    stopped: { type: "final" },
  },
});
