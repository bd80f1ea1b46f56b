// A Discord "Execute Webhook" stand-in on 127.0.0.1: POST /api/webhooks/<id>/<token>[?wait=true]
// with { content, username?, allowed_mentions } as Discord checks it (content 1–2,000 characters,
// the right token), answering the created message (wait=true) or 204, Discord's 429 body with
// retry_after when told to rate-limit, 404 Unknown Webhook for a wrong id or token, and nothing at
// all while `down`. Every message it accepted is kept, in order, for the test to count.
import { type StandInServer, sendJson, startStandInServer } from "./standInServer.ts";

export interface DiscordWebhookStandIn extends StandInServer {
  /** The webhook URL to configure: <url>/api/webhooks/<id>/<token>. */
  readonly webhookUrl: string;
  readonly messages: { content: string; at: number }[];
  /** Answer the next n requests with 429 and this retry_after (seconds). */
  rateLimit(times: number, retryAfterSeconds: number): void;
  /** Resolves once `count` messages have been accepted. */
  waitForMessages(count: number, signal?: AbortSignal): Promise<void>;
}

export const startDiscordWebhookStandIn = async (): Promise<DiscordWebhookStandIn> => {
  const id = "123456789012345678";
  const token = "stand-in-webhook-token";
  const messages: { content: string; at: number }[] = [];
  const waiters = new Set<() => void>();
  let limited = 0;
  let retryAfter = 0.05;
  let sequence = 0;
  const server = await startStandInServer((request, response, body) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    if (request.method !== "POST" || url.pathname !== `/api/webhooks/${id}/${token}`)
      return sendJson(response, 404, { message: "Unknown Webhook", code: 10015 });
    if (limited > 0) {
      limited -= 1;
      return sendJson(
        response,
        429,
        { message: "You are being rate limited.", retry_after: retryAfter, global: false },
        { "retry-after": String(Math.ceil(retryAfter)) },
      );
    }
    let payload: { content?: unknown };
    try {
      payload = JSON.parse(body) as { content?: unknown };
    } catch {
      return sendJson(response, 400, { message: "The request body contains invalid JSON.", code: 50109 });
    }
    const content = payload.content;
    if (typeof content !== "string" || content.length === 0 || content.length > 2_000)
      return sendJson(response, 400, {
        message: "Invalid Form Body",
        code: 50035,
        errors: {
          content: {
            _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }],
          },
        },
      });
    messages.push({ content, at: Date.now() });
    for (const wake of waiters) wake();
    sequence += 1;
    if (url.searchParams.get("wait") === "true")
      return sendJson(response, 200, { id: String(1_000_000 + sequence), content, webhook_id: id, type: 0 });
    response.writeHead(204).end();
  });
  return Object.assign(server, {
    webhookUrl: `${server.url}/api/webhooks/${id}/${token}`,
    messages,
    rateLimit(times: number, seconds: number) {
      limited = times;
      retryAfter = seconds;
    },
    waitForMessages(count: number, signal: AbortSignal = AbortSignal.timeout(15_000)) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          waiters.delete(check);
          resolve();
        };
        signal.addEventListener("abort", () => {
          waiters.delete(check);
          reject(new Error(`only ${messages.length} of ${count} Discord messages arrived`));
        });
        waiters.add(check);
        check();
      });
    },
  });
};
