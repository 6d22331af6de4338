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
 * its weight. O(N) with one hash of the key and a multiply-mix per
 * deployment; the deployments' id hashes and weights are read once per
 * list, and when all weights are equal the highest u wins outright (the
 * same order as -ln(u), without a logarithm per deployment).
 */
export function rendezvousPick(key: string, deployments: readonly ResolvedDeployment[]): ResolvedDeployment | undefined {
  const { hashes, weights, uniform } = rendezvousList(deployments);
  const keyHash = fnv1a(key);
  let best = -1;
  if (uniform) {
    let bestU = -1;
    for (let i = 0; i < hashes.length; i++) {
      const u = mix32(keyHash ^ hashes[i]!);
      if (u > bestU) {
        bestU = u;
        best = i;
      }
    }
  } else {
    let bestScore = Infinity;
    for (let i = 0; i < hashes.length; i++) {
      const weight = weights[i]!;
      if (!(weight > 0)) continue;
      const u = (mix32(keyHash ^ hashes[i]!) + 0.5) / 4294967296;
      const score = -Math.log(u) / weight;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
  }
  return best < 0 ? undefined : deployments[best];
}

interface RendezvousList {
  readonly hashes: Uint32Array;
  readonly weights: Float64Array;
  /** Every weight is the same positive number. */
  readonly uniform: boolean;
}

const rendezvousLists = new WeakMap<readonly ResolvedDeployment[], RendezvousList>();

/** A deployment list's id hashes and weights, computed once per (cached) list. */
function rendezvousList(deployments: readonly ResolvedDeployment[]): RendezvousList {
  let list = rendezvousLists.get(deployments);
  if (!list) {
    const hashes = Uint32Array.from(deployments, (d) => mix32(fnv1a(d.id)));
    const weights = Float64Array.from(deployments, (d) => d.weight);
    const uniform = weights.length > 0 && weights[0]! > 0 && weights.every((w) => w === weights[0]);
    list = { hashes, weights, uniform };
    rendezvousLists.set(deployments, list);
  }
  return list;
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
