import type { ImagePart, Message } from "../../../gen/ts/switchyard/v1/inference_pb.js";
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
