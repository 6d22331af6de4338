import type { JsonObject } from "@bufbuild/protobuf";
import { InvalidCompatRequest } from "./error-status.js";

/** Typed readers for wire JSON: a wrong type is a 400 naming the field, never a crash. */
export function str(body: Record<string, unknown>, key: string, path = key): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new InvalidCompatRequest("must be a string", path);
  return v;
}

export function num(body: Record<string, unknown>, key: string, path = key): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidCompatRequest("must be a number", path);
  return v;
}

export function uint(body: Record<string, unknown>, key: string, path = key): number | undefined {
  const v = num(body, key, path);
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new InvalidCompatRequest("must be a non-negative integer", path);
  return v;
}

export function bool(body: Record<string, unknown>, key: string, path = key): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new InvalidCompatRequest("must be a boolean", path);
  return v;
}

export function obj(body: Record<string, unknown>, key: string, path = key): Record<string, unknown> | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new InvalidCompatRequest("must be an object", path);
  return v as Record<string, unknown>;
}

export function arr(body: Record<string, unknown>, key: string, path = key): unknown[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new InvalidCompatRequest("must be an array", path);
  return v;
}

export function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidCompatRequest("must be an object", path);
  return v as Record<string, unknown>;
}

/** String-valued metadata map; other value types are refused (the contract's metadata is string → string). */
export function stringMap(body: Record<string, unknown>, key: string): Record<string, string> {
  const m = obj(body, key) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== "string") throw new InvalidCompatRequest("values must be strings", `${key}.${k}`);
    out[k] = v;
  }
  return out;
}

/** Fields of `body` this surface does not translate: passed on as provider_options. */
export function unknownFields(body: Record<string, unknown>, known: ReadonlySet<string>): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const [k, v] of Object.entries(body)) {
    if (known.has(k) || v === undefined) continue;
    (out ??= {})[k] = v as JsonObject[string];
  }
  return out;
}
