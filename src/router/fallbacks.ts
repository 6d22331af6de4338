import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { RouterDefaults } from "../config/resolve.js";

/** Failures another model group would fail the same way, because the request itself is at fault. */
const NOT_FALLEN_BACK: ReadonlySet<ErrorKind> = new Set([ErrorKind.INVALID_REQUEST, ErrorKind.CANCELLED, ErrorKind.PAYLOAD_TOO_LARGE]);

/**
 * The groups to try, in order, after `group` failed with `kind`: the
 * context-window list for a prompt too long, the content-policy list for a
 * blocked request, otherwise the group's own `fallbacks` or, when it has
 * none, `default_fallbacks`. The failed group itself is never in the list.
 */
export function fallbackGroups(group: string, kind: ErrorKind, settings: RouterDefaults): string[] {
  let groups: readonly string[];
  if (kind === ErrorKind.CONTEXT_WINDOW_EXCEEDED) groups = settings.contextWindowFallbacks.get(group) ?? [];
  else if (kind === ErrorKind.CONTENT_POLICY) groups = settings.contentPolicyFallbacks.get(group) ?? [];
  else if (NOT_FALLEN_BACK.has(kind)) groups = [];
  else groups = settings.fallbacks.get(group) ?? settings.defaultFallbacks;
  return [...new Set(groups)].filter((g) => g !== group);
}
