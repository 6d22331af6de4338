import { fromJson } from "@bufbuild/protobuf";
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, type Document } from "yaml";
import { RouterConfigSchema, type RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import type { ProviderRegistry } from "../providers/registry.js";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { checkAgainstSchema, formatPath, type Env } from "./schema-check.js";
import { validateRouterConfig, type PathSegments } from "./validate.js";

export interface LoadOptions {
  providers: ProviderRegistry;
  env?: Env;
}

/** Reads and checks a YAML or JSON config file; throws ConfigError naming the file and each bad field. */
export async function loadConfigFile(file: string, options: LoadOptions): Promise<RouterConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read file (${(err as Error).message})`;
    throw new ConfigError(file, [{ path: "", message: reason }]);
  }
  return parseConfig(text, file, options);
}

/**
 * Parses config text (YAML, of which JSON is a subset) as a RouterConfig
 * through protobuf's JSON mapping, then checks cross-field rules.
 */
export function parseConfig(text: string, file: string, options: LoadOptions): RouterConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: "", line: e.linePos?.[0]?.line, message: e.message.split("\n")[0]! })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const { json, problems } = checkAgainstSchema(raw, RouterConfigSchema, options.env ?? process.env);
  if (problems.length > 0) throw new ConfigError(file, problems.map((p) => withLine(p.segments, p.message, doc, lineCounter)));

  let config: RouterConfig;
  try {
    config = fromJson(RouterConfigSchema, json);
  } catch (err) {
    // The schema walk should have caught everything; this covers well-known-type payloads.
    throw new ConfigError(file, [{ path: "", message: (err as Error).message }]);
  }
  const semantic = validateRouterConfig(config, options.providers);
  if (semantic.length > 0) throw new ConfigError(file, semantic.map((p) => withLine(p.segments, p.message, doc, lineCounter)));
  return config;
}

function withLine(segments: PathSegments, message: string, doc: Document, lineCounter: LineCounter): ConfigProblem {
  return { path: formatPath(segments), message, line: lineOf(segments, doc, lineCounter) };
}

/** Line of the value at `segments`, or of its nearest present ancestor. */
function lineOf(segments: PathSegments, doc: Document, lineCounter: LineCounter): number | undefined {
  for (let n = segments.length; n > 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
