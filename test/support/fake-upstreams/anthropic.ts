import { jsonReply, ScriptedServer, sseEvent, streamReply, type Reply } from "./scripted-server.js";

/**
 * Anthropic Messages API fake: answers and streams in the exact wire shapes
 * of https://docs.anthropic.com/en/api/messages and .../streaming.
 */
export async function startFakeAnthropic(): Promise<ScriptedServer> {
  return ScriptedServer.start();
}

export const MODEL = "claude-sonnet-4-5-20250929";

/** A complete non-streamed answer. */
export function messageReply(fields: { content: unknown[]; stop_reason?: string; usage?: Record<string, number> }): Reply {
  return jsonReply(200, {
    id: "msg_01XFDUDYJgAACzvnptvVoYEL",
    type: "message",
    role: "assistant",
    model: MODEL,
    content: fields.content,
    stop_reason: fields.stop_reason ?? "end_turn",
    stop_sequence: null,
    usage: fields.usage ?? { input_tokens: 12, output_tokens: 6 },
  });
}

/** An error answer: {"type":"error","error":{"type","message"}} plus the request-id header Anthropic sends. */
export function errorReply(status: number, type: string, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { type: "error", error: { type, message } }, { "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy", ...headers });
}

export const messageStart = (usage: Record<string, number> = { input_tokens: 25, output_tokens: 1 }) =>
  sseEvent(
    {
      type: "message_start",
      message: {
        id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
        type: "message",
        role: "assistant",
        content: [],
        model: MODEL,
        stop_reason: null,
        stop_sequence: null,
        usage,
      },
    },
    "message_start",
  );
export const textBlockStart = (index: number) =>
  sseEvent({ type: "content_block_start", index, content_block: { type: "text", text: "" } }, "content_block_start");
export const toolBlockStart = (index: number, id: string, name: string) =>
  sseEvent({ type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } }, "content_block_start");
export const thinkingBlockStart = (index: number) =>
  sseEvent({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } }, "content_block_start");
export const textDelta = (index: number, text: string) =>
  sseEvent({ type: "content_block_delta", index, delta: { type: "text_delta", text } }, "content_block_delta");
export const jsonDelta = (index: number, partial_json: string) =>
  sseEvent({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } }, "content_block_delta");
export const thinkingDelta = (index: number, thinking: string) =>
  sseEvent({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } }, "content_block_delta");
export const signatureDelta = (index: number) =>
  sseEvent({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds" } }, "content_block_delta");
export const blockStop = (index: number) => sseEvent({ type: "content_block_stop", index }, "content_block_stop");
export const messageDelta = (stop_reason: string, usage: Record<string, number> = { output_tokens: 15 }) =>
  sseEvent({ type: "message_delta", delta: { stop_reason, stop_sequence: null }, usage }, "message_delta");
export const messageStop = () => sseEvent({ type: "message_stop" }, "message_stop");
export const ping = () => sseEvent({ type: "ping" }, "ping");
export const errorEvent = (type: string, message: string) => sseEvent({ type: "error", error: { type, message } }, "error");

/** A streamed answer made of the given SSE event texts. */
export function sseReply(events: string[], ending: "end" | "cut" | "hang" = "end"): Reply {
  return streamReply({ contentType: "text/event-stream; charset=utf-8", pieces: events, ending, headers: { "cache-control": "no-cache" } });
}

/** The full event sequence of a text answer, as the streaming docs show it. */
export function textStreamEvents(pieces: string[]): string[] {
  return [
    messageStart(),
    textBlockStart(0),
    ping(),
    ...pieces.map((p) => textDelta(0, p)),
    blockStop(0),
    messageDelta("end_turn"),
    messageStop(),
  ];
}

/** Text, then a tool_use block whose input arrives as input_json_delta fragments. */
export function toolStreamEvents(): string[] {
  return [
    messageStart({ input_tokens: 472, output_tokens: 2 }),
    textBlockStart(0),
    textDelta(0, "Let me check the weather."),
    blockStop(0),
    toolBlockStart(1, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather"),
    jsonDelta(1, ""),
    jsonDelta(1, '{"location":'),
    jsonDelta(1, ' "San Francisco, CA"}'),
    blockStop(1),
    messageDelta("tool_use", { output_tokens: 89 }),
    messageStop(),
  ];
}
