import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import type { ConfigProblem } from "./config-error.js";

/** Environment lookup used for `os.environ/NAME` values. */
export type Env = Readonly<Record<string, string | undefined>>;

const ENV_PREFIX = "os.environ/";

interface Walk {
  env: Env;
  problems: Array<Omit<ConfigProblem, "line"> & { segments: Array<string | number> }>;
}

/**
 * Checks a parsed YAML/JSON document against a message descriptor and
 * returns it in canonical protobuf JSON form, ready for `fromJson`.
 *
 * The proto is the only schema: this walks the descriptor rather than a
 * hand-written shape, so a new config field needs no code here. On the way
 * it resolves `os.environ/NAME` strings, accepts short enum spellings
 * (`least-busy` for ROUTING_STRATEGY_LEAST_BUSY) and records every problem
 * with its field path, so one run reports all mistakes at once.
 */
export function checkAgainstSchema(
  value: unknown,
  schema: DescMessage,
  env: Env,
): { json: JsonValue; problems: Array<ConfigProblem & { segments: Array<string | number> }> } {
  const walk: Walk = { env, problems: [] };
  const json = checkMessage(value, schema, [], walk);
  return { json: json ?? {}, problems: walk.problems };
}

function report(walk: Walk, segments: Array<string | number>, message: string): undefined {
  walk.problems.push({ path: formatPath(segments), segments, message });
  return undefined;
}

export function formatPath(segments: ReadonlyArray<string | number>): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function checkMessage(value: unknown, desc: DescMessage, at: Array<string | number>, walk: Walk): JsonValue | undefined {
  // Well-known types (Struct, Duration, ...) have their own JSON forms; protobuf validates them.
  if (desc.typeName.startsWith("google.protobuf.")) return value as JsonValue;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return report(walk, at, `expected an object (${desc.name}), got ${describe(value)}`);
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    const path = [...at, key];
    if (!field) {
      const hint = closestName(key, desc.fields.map((f) => f.name));
      report(walk, path, `unknown key "${key}" in ${desc.name}${hint ? ` (did you mean "${hint}"?)` : ""}`);
      continue;
    }
    if (fieldValue === null) continue; // `key:` with no value in YAML: leave the field unset
    const checked = checkField(fieldValue, field, path, walk);
    if (checked !== undefined) out[field.name] = checked;
  }
  return out;
}

function checkField(value: unknown, field: DescField, at: Array<string | number>, walk: Walk): JsonValue | undefined {
  switch (field.fieldKind) {
    case "list": {
      if (!Array.isArray(value)) return report(walk, at, `expected a list, got ${describe(value)}`);
      const items: JsonValue[] = [];
      value.forEach((item, i) => {
        const checked = checkSingular(item, field.listKind, field, [...at, i], walk);
        if (checked !== undefined) items.push(checked);
      });
      return items;
    }
    case "map": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return report(walk, at, `expected a map, got ${describe(value)}`);
      }
      const entries: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const checked = checkSingular(v, field.mapKind, field, [...at, k], walk);
        if (checked !== undefined) entries[k] = checked;
      }
      return entries;
    }
    default:
      return checkSingular(value, field.fieldKind, field, at, walk);
  }
}

function checkSingular(
  value: unknown,
  kind: "scalar" | "enum" | "message",
  field: DescField,
  at: Array<string | number>,
  walk: Walk,
): JsonValue | undefined {
  const resolved = resolveEnv(value, at, walk);
  if (resolved === undefined) return undefined;
  if (kind === "message") return checkMessage(resolved, field.message!, at, walk);
  if (kind === "enum") return checkEnum(resolved, field.enum!, at, walk);
  return checkScalar(resolved, field.scalar!, at, walk);
}

function resolveEnv(value: unknown, at: Array<string | number>, walk: Walk): unknown {
  if (typeof value !== "string" || !value.startsWith(ENV_PREFIX)) return value;
  const name = value.slice(ENV_PREFIX.length);
  const resolved = walk.env[name];
  if (resolved === undefined) return report(walk, at, `environment variable ${name} is not set (from "${value}")`);
  return resolved;
}

function checkEnum(value: unknown, desc: DescEnum, at: Array<string | number>, walk: Walk): JsonValue | undefined {
  if (typeof value === "number" && desc.values.some((v) => v.number === value)) return value;
  if (typeof value === "string") {
    const wanted = value.trim().toUpperCase().replace(/[-\s.]/g, "_");
    const match = desc.values.find((v) => v.name === wanted || v.localName === wanted);
    if (match && match.number !== 0) return match.name;
  }
  const allowed = desc.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase().replace(/_/g, "-"));
  return report(walk, at, `${describe(value)} is not one of ${allowed.join(", ")}`);
}

const INTEGER_RANGES: Partial<Record<ScalarType, [number, number]>> = {
  [ScalarType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.SINT32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.SFIXED32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.UINT32]: [0, 2 ** 32 - 1],
  [ScalarType.FIXED32]: [0, 2 ** 32 - 1],
  [ScalarType.INT64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.SINT64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.SFIXED64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.UINT64]: [0, Number.MAX_SAFE_INTEGER],
  [ScalarType.FIXED64]: [0, Number.MAX_SAFE_INTEGER],
};

function checkScalar(value: unknown, type: ScalarType, at: Array<string | number>, walk: Walk): JsonValue | undefined {
  switch (type) {
    case ScalarType.STRING:
      if (typeof value === "string") return value;
      // YAML turns `api_version: 2024-10-21` or `model: 4` into non-strings; take them as written.
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return report(walk, at, `expected a string, got ${describe(value)}`);
    case ScalarType.BOOL:
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return report(walk, at, `expected true or false, got ${describe(value)}`);
    case ScalarType.BYTES:
      if (typeof value === "string") return value;
      return report(walk, at, `expected base64 text, got ${describe(value)}`);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n === "number" && Number.isFinite(n)) return n;
      return report(walk, at, `expected a number, got ${describe(value)}`);
    }
    default: {
      const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      const [min, max] = INTEGER_RANGES[type] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (typeof n !== "number" || !Number.isInteger(n)) return report(walk, at, `expected an integer, got ${describe(value)}`);
      if (n < min || n > max) return report(walk, at, `${n} is out of range ${min}..${max}`);
      return n;
    }
  }
}

/** The field name closest to a misspelt key, if any is close enough to suggest. */
function closestName(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
