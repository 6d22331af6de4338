import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

/**
 * deploy/helm/switchyard, validated the way CI promises: `helm lint`, and
 * `helm template` checked by `kubeconform -strict` against the Kubernetes
 * API's own schemas (offline: .ci/setup.d/40-helm-kubeconform.sh), with
 * the default values and with ci/all-options-values.yaml. Then the parts
 * that matter for a gRPC gateway are asserted on the rendered manifests.
 */
const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHART = path.join(REPO_ROOT, "deploy/helm/switchyard");
const ALL_OPTIONS = path.join(CHART, "ci/all-options-values.yaml");
const SCHEMAS = path.join(REPO_ROOT, ".tools/kubernetes-json-schema");
const SETUP_HINT = "run .ci/setup.d/40-helm-kubeconform.sh";

async function tool(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd: REPO_ROOT, maxBuffer: 20 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")} failed (${SETUP_HINT} if it is missing): ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function kubernetesVersion(): Promise<string> {
  try {
    return (await readFile(path.join(SCHEMAS, "VERSION"), "utf8")).trim();
  } catch {
    throw new Error(`no Kubernetes JSON schemas in ${SCHEMAS}: ${SETUP_HINT}`);
  }
}

async function render(valuesFiles: string[]): Promise<string> {
  const args = ["template", "sy", CHART, "--namespace", "llm", "--kube-version", await kubernetesVersion()];
  for (const file of valuesFiles) args.push("-f", file);
  return tool("helm", args);
}

type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, any>; data?: Record<string, string> };
const manifests = (text: string): Manifest[] => parseAllDocuments(text).map((d) => d.toJS() as Manifest).filter(Boolean);

describe.each([
  ["default values", [] as string[]],
  ["every option on", [ALL_OPTIONS]],
])("the Helm chart with %s", (_name, values) => {
  it("passes helm lint and kubeconform -strict", async () => {
    await tool("helm", ["lint", "--strict", CHART, ...values.flatMap((f) => ["-f", f])]);
    const version = await kubernetesVersion();
    const out = await tool(
      "kubeconform",
      [
        "-strict", "-summary", "-output", "json",
        "-kubernetes-version", version,
        "-schema-location", `${SCHEMAS}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
        "-",
      ],
      await render(values),
    );
    const summary = (JSON.parse(out) as { summary: Record<string, number> }).summary;
    // Every resource validated against a schema: none skipped for want of one.
    expect(summary).toMatchObject({ invalid: 0, errors: 0, skipped: 0 });
    expect(summary.valid).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it("probes gRPC health natively, speaks h2c through the Service, and outlasts shutdown_grace_ms", async () => {
    const docs = manifests(await render(values));
    const deployment = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "sy-switchyard")!;
    const pod = deployment.spec.template.spec;
    const gateway = pod.containers[0];
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(gateway[probe].grpc).toMatchObject({ port: 4000 });
    expect(pod.securityContext.runAsNonRoot).toBe(true);

    const service = docs.find((d) => d.kind === "Service" && d.metadata.name === "sy-switchyard")!;
    expect(service.spec.ports[0]).toMatchObject({ appProtocol: "kubernetes.io/h2c", targetPort: "grpc" });

    const configText = docs.find((d) => d.kind === "ConfigMap")!.data!["config.yaml"]!;
    const graceMs = Number(/shutdown_grace_ms: (\d+)/.exec(configText)![1]);
    const preStop = gateway.lifecycle.preStop.sleep.seconds as number;
    // Kubernetes' grace period covers the preStop pause and the gateway's whole drain.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + graceMs / 1000);
    expect(gateway.env).toContainEqual({ name: "SWITCHYARD_CONFIG", value: "/etc/switchyard/config.yaml" });
  });
});

describe("the Helm chart's options", () => {
  it("wires Secrets for provider keys and the master key, an HPA, a PDB and an in-chart Redis the config points at", async () => {
    const docs = manifests(await render([ALL_OPTIONS]));
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "HorizontalPodAutoscaler/sy-switchyard",
        "PodDisruptionBudget/sy-switchyard",
        "Deployment/sy-switchyard-redis",
        "Service/sy-switchyard-redis",
      ]),
    );
    const gateway = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "sy-switchyard")!.spec.template.spec.containers[0];
    expect(gateway.envFrom).toEqual([{ secretRef: { name: "switchyard-provider-keys" } }]);
    expect(gateway.env).toContainEqual({
      name: "SWITCHYARD_MASTER_KEY",
      valueFrom: { secretKeyRef: { name: "switchyard-master-key", key: "master-key" } },
    });
    expect(docs.find((d) => d.kind === "ConfigMap")!.data!["config.yaml"]).toContain("url: redis://sy-switchyard-redis:6379");
    // No secret value ever lands in the rendered manifests.
    expect(docs.some((d) => d.kind === "Secret")).toBe(false);
  });

  it("leaves HPA and Redis out by default", async () => {
    const kinds = manifests(await render([])).map((d) => d.kind);
    expect(kinds).not.toContain("HorizontalPodAutoscaler");
    expect(kinds.filter((k) => k === "Deployment")).toHaveLength(1);
  });
});
