import type { CompletionRequest, ImagePart, Message } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { invalidField } from "../../errors/gateway-error.js";

/** A message's text: `content`, or its text parts joined (image parts are handled separately). */
export function messageText(message: Message): string {
  if (message.content) return message.content;
  return message.parts.flatMap((p) => (p.part.case === "text" ? [p.part.value] : [])).join("");
}

/** An image as providers want it: inline base64 bytes with a MIME type, or a remote URL. */
export type ImageSource = { kind: "base64"; mimeType: string; base64: string } | { kind: "url"; url: string };

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/**
 * Normalizes an image part: raw bytes and `data:` URLs become base64 with
 * their MIME type (most providers only take inline images that way);
 * http(s) URLs stay URLs. `field` names the part in errors.
 */
export function imageSource(image: ImagePart, field: string): ImageSource {
  const source = image.source;
  if (source.case === "data") {
    if (!image.mimeType) throw invalidField(`${field}.mime_type`, "is required with image data");
    return { kind: "base64", mimeType: image.mimeType, base64: Buffer.from(source.value).toString("base64") };
  }
  if (source.case === "url") {
    const match = DATA_URL.exec(source.value);
    if (match) return { kind: "base64", mimeType: match[1]!, base64: match[2]! };
    if (/^https?:\/\//i.test(source.value)) return { kind: "url", url: source.value };
    throw invalidField(`${field}.url`, "must be an http(s) URL or a base64 data: URL");
  }
  throw invalidField(field, "needs a url or data");
}

/** Parses tool-call arguments the caller sent back (JSON text) into the object most providers want. */
export function parseToolArguments(text: string, field: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidField(field, "is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidField(field, "must be a JSON object");
  return value as Record<string, unknown>;
}

/**
 * Wires that answer one choice and take no seed or penalties (Anthropic,
 * Bedrock Converse) refuse those fields by name before any upstream call,
 * rather than silently dropping them.
 */
export function rejectSingleChoiceUnsupported(request: CompletionRequest, provider: string): void {
  if (request.n !== undefined && request.n > 1) throw invalidField("n", `${provider} returns one choice per request`);
  if (request.seed !== undefined) throw invalidField("seed", `is not supported by ${provider}`);
  if (request.presencePenalty !== undefined) throw invalidField("presence_penalty", `is not supported by ${provider}`);
  if (request.frequencyPenalty !== undefined) throw invalidField("frequency_penalty", `is not supported by ${provider}`);
}

/** Wires whose roles must alternate: a turn with the previous turn's role is merged into it. */
export function appendAlternating<Role extends string, Block>(
  turns: Array<{ role: Role; content: Block[] }>,
  role: Role,
  content: Block[],
): void {
  const last = turns[turns.length - 1];
  if (last && last.role === role) last.content.push(...content);
  else turns.push({ role, content });
}
