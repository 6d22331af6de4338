import { createHash } from "node:crypto";
import type { CompletionRequest } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { estimateMessageTokens, estimateToolTokens } from "../../util/tokens.js";

/** Prefixes one mock deployment remembers before it starts over (a bound on memory, not a model of eviction). */
const MAX_PREFIXES = 100_000;

/**
 * A provider prompt cache as the mock models it (MockParams.prompt_cache):
 * like OpenAI's automatic prefix caching, a prompt whose leading messages
 * (with the tools) were sent to this deployment before is billed with
 * those tokens as cached. Prefixes are remembered by a running hash over
 * the messages, so lookups cost one hash per message.
 */
export class MockPromptCache {
  private readonly seen = new Set<string>();

  /** The prompt tokens of the longest prefix of `request` seen before (0 when none); remembers all of its prefixes. */
  cachedTokens(request: CompletionRequest): number {
    const hash = createHash("sha256");
    hash.update(JSON.stringify(request.tools.map((t) => [t.function?.name, t.function?.description, t.function?.parameters])));
    let tokens = 3 + estimateToolTokens(request);
    let cached = 0;
    if (this.seen.size + request.messages.length > MAX_PREFIXES) this.seen.clear();
    for (const message of request.messages) {
      hash.update(JSON.stringify([message.role, message.content, message.parts.length, message.toolCalls.length, message.toolCallId]));
      tokens += estimateMessageTokens(message);
      const key = hash.copy().digest("base64");
      if (this.seen.has(key)) cached = tokens;
      else this.seen.add(key);
    }
    return cached;
  }
}
