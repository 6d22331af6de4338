// Writes kubeconform's offline schema directory from Kubernetes' OpenAPI v2
// spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go module),
// the way the published kubernetes-json-schema sets are made
// (openapi2jsonschema --kubernetes --expanded --stand-alone --strict):
// one self-contained JSON Schema per kind and version, named
// <kind>[-<group>]-<version>.json, every $ref inlined, objects closed to
// unknown fields (that is what makes `kubeconform -strict` catch typos),
// int-or-string fields accepting either.
//
//   node scripts/ci/kubernetes-json-schemas.mjs SWAGGER_JSON OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [swaggerFile, outDir] = process.argv.slice(2);
if (!swaggerFile || !outDir) {
  console.error("usage: kubernetes-json-schemas.mjs SWAGGER_JSON OUT_DIR");
  process.exit(2);
}
const { definitions } = JSON.parse(readFileSync(swaggerFile, "utf8"));
mkdirSync(outDir, { recursive: true });

function expand(schema, seen) {
  if (Array.isArray(schema)) return schema.map((s) => expand(s, seen));
  if (schema === null || typeof schema !== "object") return schema;
  if (schema.$ref) {
    const name = schema.$ref.replace("#/definitions/", "");
    // Recursive types (JSONSchemaProps in CRDs) are left open below the first level.
    if (seen.has(name)) return {};
    return expand(definitions[name], new Set(seen).add(name));
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "x-kubernetes-group-version-kind") continue;
    out[key] = key === "properties" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, seen)])) : expand(value, seen);
  }
  if (out.format === "int-or-string") {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: "string" }, { type: "integer" }];
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

let written = 0;
for (const [name, definition] of Object.entries(definitions)) {
  for (const gvk of definition["x-kubernetes-group-version-kind"] ?? []) {
    const group = gvk.group ? gvk.group.split(".")[0] : "";
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    const schema = expand(definition, new Set([name]));
    // Each file is for one kind and one apiVersion.
    if (schema.properties?.kind) schema.properties.kind = { ...schema.properties.kind, enum: [gvk.kind] };
    if (schema.properties?.apiVersion) schema.properties.apiVersion = { ...schema.properties.apiVersion, enum: [apiVersion] };
    const file = [gvk.kind.toLowerCase(), group, gvk.version].filter(Boolean).join("-") + ".json";
    writeFileSync(path.join(outDir, file), JSON.stringify({ $schema: "http://json-schema.org/schema#", ...schema }));
    written++;
  }
}
console.log(`${written} schemas in ${outDir}`);
