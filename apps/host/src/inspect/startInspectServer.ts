// A small HTTP server that only serves the visualizer (/inspect), for `troupe inspect <trace>` and
// for tests: the same routes the host mounts next to /metrics, on a port of its own.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { answeredByAccess, type HttpAccess, LOCAL_ACCESS } from "../http/httpAccess.ts";
import { createInspectHandler } from "./createInspectHandler.ts";
import type { InspectSource } from "./InspectSource.ts";

export interface InspectServerOptions {
  readonly source: InspectSource;
  /** Default 127.0.0.1: the page is for this machine. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Allowed Host names and the page's token (default: this machine's names and addresses, no token). */
  readonly access?: HttpAccess;
}

export interface RunningInspectServer {
  /** The page's address, e.g. http://127.0.0.1:9465/inspect */
  readonly url: string;
  close(): Promise<void>;
}

export const startInspectServer = (options: InspectServerOptions): Promise<RunningInspectServer> => {
  const handler = createInspectHandler({ source: options.source });
  const server = createServer((request, response) => {
    if (answeredByAccess(options.access ?? LOCAL_ACCESS, request, response)) return;
    if (handler.handle(request, response)) return;
    response.writeHead(302, { location: "/inspect" });
    response.end();
  });
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${hostPart}:${address.port}/inspect`,
        close: () => {
          closing ??= (async () => {
            await handler.close();
            await new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            });
          })();
          return closing;
        },
      });
    });
  });
};
