import { toBinary } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import {
  MessageSchema,
  ToolSchema,
  type CompletionRequest,
  type RequestOptions,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { AffinityPolicy } from "../config/group-settings.js";
import type { ResolvedDeployment } from "../config/resolve.js";

/** Roles whose messages are part of the stable prefix wherever they appear. */
const SYSTEM_ROLES = new Set(["system", "developer"]);

/**
 * The affinity key of a request for a group with affinity on: the caller's
 * options.affinity_key, else a hash of what providers cache as a prompt
 * prefix (system prompt, tools, the first `prefixMessages` other
 * messages). Undefined when there is nothing to key on.
 */
export function affinityKeyOf(
  options: RequestOptions | undefined,
  request: CompletionRequest | undefined,
  policy: AffinityPolicy,
): string | undefined {
  if (options?.affinityKey) return options.affinityKey;
  if (!request || request.messages.length === 0) return undefined;
  const hash = createHash("sha256");
  let others = 0;
  for (const message of request.messages) {
    if (!SYSTEM_ROLES.has(message.role)) {
      if (others >= policy.prefixMessages) continue;
      others++;
    }
    hash.update(toBinary(MessageSchema, message));
  }
  for (const tool of request.tools) hash.update(toBinary(ToolSchema, tool));
  return hash.digest("base64");
}

/**
 * Rendezvous (highest-random-weight) hashing: every deployment gets a
 * pseudo-random score for the key and the best score wins. Removing a
 * deployment moves only the keys it won (each to its runner-up); adding
 * one takes only the keys it now wins. Scores are weighted
 * (-ln(u) / weight, lowest wins), so a deployment's share of keys follows
 * its weight. O(N) with one hash of the key and a multiply-mix per deployment.
 */
export function rendezvousPick(key: string, deployments: readonly ResolvedDeployment[]): ResolvedDeployment | undefined {
  const keyHash = fnv1a(key);
  let best: ResolvedDeployment | undefined;
  let bestScore = Infinity;
  for (const deployment of deployments) {
    if (!(deployment.weight > 0)) continue;
    const u = (mix32(keyHash ^ idHash(deployment)) + 0.5) / 4294967296;
    const score = -Math.log(u) / deployment.weight;
    if (score < bestScore) {
      bestScore = score;
      best = deployment;
    }
  }
  return best;
}

const idHashes = new WeakMap<ResolvedDeployment, number>();

function idHash(deployment: ResolvedDeployment): number {
  let h = idHashes.get(deployment);
  if (h === undefined) {
    h = mix32(fnv1a(deployment.id));
    idHashes.set(deployment, h);
  }
  return h;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a bijection that spreads every input bit over the output. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
