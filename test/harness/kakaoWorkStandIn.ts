// A KakaoWork bot API stand-in on 127.0.0.1: POST /v1/messages.send with the bot's app key as a
// Bearer token and { conversation_id, text }, answering { success: true, message } like KakaoWork,
// { success: false, error } for a bad request or unknown conversation, 401 for a wrong app key,
// and nothing while `down`.
import { type StandInServer, sendJson, startStandInServer } from "./standInServer.ts";

export interface KakaoWorkStandIn extends StandInServer {
  readonly appKey: string;
  readonly conversationId: string;
  readonly messages: { text: string; conversationId: string }[];
}

export const startKakaoWorkStandIn = async (): Promise<KakaoWorkStandIn> => {
  const appKey = "stand-in-kakaowork-app-key";
  const conversationId = "1234567";
  const messages: { text: string; conversationId: string }[] = [];
  const server = await startStandInServer((request, response, body) => {
    if (request.method !== "POST" || request.url !== "/v1/messages.send")
      return sendJson(response, 404, {
        success: false,
        error: { code: "not_found", message: "no such API" },
      });
    if (request.headers.authorization !== `Bearer ${appKey}`)
      return sendJson(response, 401, {
        success: false,
        error: { code: "unauthorized", message: "invalid app key" },
      });
    const payload = JSON.parse(body || "{}") as { conversation_id?: unknown; text?: unknown };
    if (typeof payload.text !== "string" || payload.text.length === 0)
      return sendJson(response, 400, {
        success: false,
        error: { code: "invalid_parameter", message: "text is required" },
      });
    if (String(payload.conversation_id) !== conversationId)
      return sendJson(response, 200, {
        success: false,
        error: { code: "conversation_not_found", message: "no such conversation" },
      });
    messages.push({ text: payload.text, conversationId });
    sendJson(response, 200, { success: true, message: { id: String(messages.length), text: payload.text } });
  });
  return Object.assign(server, { appKey, conversationId, messages });
};
