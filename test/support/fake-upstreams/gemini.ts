import { jsonReply, ScriptedServer, streamReply, type Reply } from "./scripted-server.js";

/**
 * Gemini (Generative Language API) fake: generateContent answers, alt=sse
 * streams and Google error bodies in the shapes of
 * https://ai.google.dev/api/generate-content and https://ai.google.dev/api/embeddings.
 */
export async function startFakeGemini(): Promise<ScriptedServer> {
  return ScriptedServer.start();
}

export const MODEL = "gemini-2.5-flash";
export const RESPONSE_ID = "Xy0vaKjhL5ar1dkPxu2X6Ag";

export function candidate(parts: unknown[], finishReason?: string, index = 0) {
  return { content: { parts, role: "model" }, ...(finishReason ? { finishReason } : {}), index };
}

export function usage(prompt: number, candidates?: number, extra: Record<string, number> = {}) {
  return {
    promptTokenCount: prompt,
    ...(candidates !== undefined ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: prompt + (candidates ?? 0) + (extra.thoughtsTokenCount ?? 0),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
    ...extra,
  };
}

export function response(candidates: unknown[], usageMetadata: unknown = usage(8, 12)) {
  return { candidates, usageMetadata, modelVersion: MODEL, responseId: RESPONSE_ID };
}

export const generateReply = (candidates: unknown[], usageMetadata?: unknown): Reply => jsonReply(200, response(candidates, usageMetadata));

/** A Google API error body. */
export function errorReply(code: number, status: string, message: string, details: unknown[] = [], headers: Record<string, string> = {}): Reply {
  return jsonReply(code, { error: { code, message, status, ...(details.length ? { details } : {}) } }, headers);
}

/** One alt=sse event: Gemini separates events with CRLF pairs. */
export const sseData = (body: unknown) => `data: ${typeof body === "string" ? body : JSON.stringify(body)}\r\n\r\n`;

export function sseReply(bodies: unknown[], ending: "end" | "cut" | "hang" = "end"): Reply {
  return streamReply({ contentType: "text/event-stream", pieces: bodies.map(sseData), ending });
}

/** A text answer streamed in pieces; usage grows as it goes and the last event has finishReason STOP. */
export function textStream(pieces: string[]): unknown[] {
  return pieces.map((text, i) =>
    i === pieces.length - 1
      ? response([candidate([{ text }], "STOP")], usage(8, 20))
      : response([candidate([{ text }])], usage(8)),
  );
}
