import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CacheBreakpointSchema } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { InvalidCompatRequest } from "./error-status.js";

/**
 * Anthropic-style `cache_control: {"type":"ephemeral","ttl":"5m"|"1h"}` →
 * the unified breakpoint. Accepted on /v1/messages (its native field) and,
 * as LiteLLM and others do, on /v1/chat/completions messages, parts and tools.
 */
export function cacheBreakpointOf(item: Record<string, unknown>, path: string): MessageInitShape<typeof CacheBreakpointSchema> | undefined {
  const control = item.cache_control;
  if (control === undefined || control === null) return undefined;
  if (typeof control !== "object" || Array.isArray(control) || (control as { type?: unknown }).type !== "ephemeral") {
    throw new InvalidCompatRequest('must be {"type": "ephemeral"}', `${path}.cache_control`);
  }
  const ttl = (control as { ttl?: unknown }).ttl;
  if (ttl === undefined || ttl === null) return {};
  if (ttl === "5m") return { ttlS: 300 };
  if (ttl === "1h") return { ttlS: 3600 };
  throw new InvalidCompatRequest('must be "5m" or "1h"', `${path}.cache_control.ttl`);
}
