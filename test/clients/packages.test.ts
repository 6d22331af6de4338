import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";
import { REPO_ROOT } from "./client-gateway.js";

/**
 * The three clients installed the way a user installs them (an npm
 * tarball, a wheel, a Go module), into scratch projects outside this
 * repository, and used against a real gateway. The wheel's and the Go
 * module's dependencies come from what .ci/setup.d/20-codegen-and-clients.sh
 * and 50-client-packages.sh put on the machine: nothing is downloaded here.
 */
const run = promisify(execFile);
const VERSION = (await readFile(path.join(REPO_ROOT, "VERSION"), "utf8")).trim();
const PROMPT = "hello from an installed client";
const ANSWER = `This is a mock response to: ${PROMPT}`;

async function sh(command: string, args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }) {
  try {
    return await run(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 240_000, maxBuffer: 20 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

let gateway: Gateway;
const scratch: string[] = [];
beforeAll(async () => {
  gateway = await startTestGateway(
    JSON.stringify({ model_list: [{ model_name: "mock", provider: "mock", params: { model: "mock-1", mock: { chunk_count: 3 } } }] }),
  );
});
afterAll(async () => {
  await gateway?.close(0);
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function scratchDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `switchyard-${name}-`));
  scratch.push(dir);
  return dir;
}

describe("one version for every client", () => {
  it("stamps VERSION into the TypeScript, Python and Go packages and the Helm chart", async () => {
    const ts = JSON.parse(await readFile(path.join(REPO_ROOT, "clients/typescript/package.json"), "utf8")) as { version: string };
    const py = await readFile(path.join(REPO_ROOT, "gen/python/pyproject.toml"), "utf8");
    const go = await readFile(path.join(REPO_ROOT, "gen/go/version.go"), "utf8");
    const changelog = await readFile(path.join(REPO_ROOT, "CHANGELOG.md"), "utf8");
    const chart = await readFile(path.join(REPO_ROOT, "deploy/helm/switchyard/Chart.yaml"), "utf8");
    expect(ts.version).toBe(VERSION);
    expect(py).toContain(`\nversion = "${VERSION}"\n`);
    expect(go).toContain(`const Version = "${VERSION}"`);
    expect(changelog).toContain(`## ${VERSION}`);
    expect(chart).toContain(`\nversion: ${VERSION}\nappVersion: "${VERSION}"\n`);
  });
});

describe("TypeScript client package", () => {
  it("packs to JavaScript with .d.ts, installs into a scratch project and runs under plain node over gRPC and Connect", async () => {
    const packDir = await scratchDir("npm-pack");
    const { stdout } = await sh("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: path.join(REPO_ROOT, "clients/typescript") });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["dist/switchyard/v1/inference_pb.js", "dist/switchyard/v1/inference_pb.d.ts", "package.json"]));
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]); // no sources: nothing to transpile

    const project = await scratchDir("ts-consumer");
    const versionOf = async (pkg: string) =>
      (JSON.parse(await readFile(path.join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // --offline: the npm cache already holds these (the repository's own npm ci put them there).
    await sh(
      "npm",
      [
        "install", "--offline", "--no-audit", "--no-fund",
        path.join(packDir, packed!.filename),
        `@connectrpc/connect@${await versionOf("@connectrpc/connect")}`,
        `@connectrpc/connect-node@${await versionOf("@connectrpc/connect-node")}`,
      ],
      { cwd: project },
    );
    await writeFile(
      path.join(project, "consumer.mjs"),
      `import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { InferenceService } from "@switchyard/client/v1/inference_pb";

const baseUrl = process.argv[2];
for (const [name, transport] of [["grpc", createGrpcTransport({ baseUrl })], ["connect", createConnectTransport({ baseUrl, httpVersion: "1.1" })]]) {
  const client = createClient(InferenceService, transport);
  const reply = await client.complete({ model: "mock", messages: [{ role: "user", content: ${JSON.stringify(PROMPT)} }] });
  let streamed = "";
  for await (const chunk of client.streamComplete({ model: "mock", messages: [{ role: "user", content: ${JSON.stringify(PROMPT)} }] })) {
    streamed += chunk.choices[0]?.delta?.content ?? "";
  }
  console.log(name + ": " + reply.choices[0].message.content + " | " + streamed);
}
`,
    );
    const consumer = await sh(process.execPath, ["consumer.mjs", gateway.url], { cwd: project });
    expect(consumer.stdout).toBe(`grpc: ${ANSWER} | ${ANSWER}\nconnect: ${ANSWER} | ${ANSWER}\n`);

    // The .d.ts are complete: a TypeScript consumer type-checks against the installed package alone.
    await writeFile(
      path.join(project, "typed.ts"),
      `import { create } from "@bufbuild/protobuf";
import { CompletionRequestSchema, type ModelResponse } from "@switchyard/client/v1/inference_pb";
export const request = create(CompletionRequestSchema, { model: "mock", messages: [{ role: "user", content: "hi" }] });
export const text = (r: ModelResponse): string => r.choices[0]?.message?.content ?? "";
`,
    );
    await writeFile(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [] }, files: ["typed.ts"] }),
    );
    await sh(path.join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: project });
  }, 300_000);
});

describe("Python client wheel", () => {
  const wheelhouse = path.join(REPO_ROOT, ".tools/python-wheelhouse");

  it("builds a wheel with type stubs that installs into a fresh venv with the oldest grpcio/protobuf its ranges allow, and calls the gateway", async () => {
    const out = await scratchDir("wheel");
    // Build and install offline, from the wheelhouse 50-client-packages.sh filled (hatchling; the lowest allowed grpcio and protobuf).
    const offline = ["--no-index", "--find-links", wheelhouse, "--disable-pip-version-check", "--quiet"];
    await sh(path.join(REPO_ROOT, ".tools/client-python/bin/python"), ["-m", "pip", "wheel", ...offline, "--no-deps", "-w", out, path.join(REPO_ROOT, "gen/python")], { cwd: out });
    const wheel = (await readdir(out)).find((f) => f.endsWith(".whl"));
    expect(wheel).toBe(`switchyard_client-${VERSION}-py3-none-any.whl`);

    await sh(path.join(REPO_ROOT, ".tools/client-python/bin/python"), ["-m", "venv", path.join(out, "venv")], { cwd: out });
    const python = path.join(out, "venv/bin/python");
    await sh(python, ["-m", "pip", "install", ...offline, path.join(out, wheel!)], { cwd: out });

    const pyproject = await readFile(path.join(REPO_ROOT, "gen/python/pyproject.toml"), "utf8");
    const lowest = (name: string) => new RegExp(`"${name}>=([0-9.]+),<`).exec(pyproject)?.[1];
    const script = `
import importlib.metadata as md, pathlib, grpc
from switchyard.v1 import inference_pb2, inference_pb2_grpc
pkg = pathlib.Path(inference_pb2.__file__).parent
print("versions", md.version("grpcio"), md.version("protobuf"))
print("stubs", sorted(p.name for p in pkg.glob("*.pyi")), (pkg.parent / "py.typed").exists())
with grpc.insecure_channel("127.0.0.1:${gateway.port}") as channel:
    stub = inference_pb2_grpc.InferenceServiceStub(channel)
    reply = stub.Complete(inference_pb2.CompletionRequest(model="mock", messages=[inference_pb2.Message(role="user", content=${JSON.stringify(PROMPT)})]), timeout=10)
    print("answer", reply.choices[0].message.content)
`;
    const { stdout } = await sh(python, ["-c", script], { cwd: out });
    expect(stdout).toContain(`versions ${lowest("grpcio")} ${lowest("protobuf")}\n`);
    expect(stdout).toContain("stubs ['admin_pb2.pyi', 'config_pb2.pyi', 'inference_pb2.pyi'] True\n");
    expect(stdout).toContain(`answer ${ANSWER}\n`);
  }, 300_000);
});

describe("Go client module", () => {
  it("is consumed by another module through require + replace, as with go get", async () => {
    const project = await scratchDir("go-consumer");
    const suite = path.join(REPO_ROOT, "test/clients/go");
    // The client suite's module already pins (and its setup downloaded) connect-go, grpc-go and their go.sum lines.
    const suiteMod = await readFile(path.join(suite, "go.mod"), "utf8");
    await writeFile(
      path.join(project, "go.mod"),
      suiteMod
        .replace(/^module .*$/m, "module example.com/consumer")
        .replace(/^replace .*$/m, `replace github.com/switchyard-dev/switchyard/gen/go => ${path.join(REPO_ROOT, "gen/go")}`),
    );
    await cp(path.join(suite, "go.sum"), path.join(project, "go.sum"));
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, "main.go"),
      `package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"connectrpc.com/connect"
	client "github.com/switchyard-dev/switchyard/gen/go"
	switchyardv1 "github.com/switchyard-dev/switchyard/gen/go/switchyard/v1"
	"github.com/switchyard-dev/switchyard/gen/go/switchyard/v1/switchyardv1connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	req := &switchyardv1.CompletionRequest{Model: "mock", Messages: []*switchyardv1.Message{{Role: "user", Content: ${JSON.stringify(PROMPT)}}}}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	viaGrpc, err := switchyardv1.NewInferenceServiceClient(conn).Complete(context.Background(), req)
	if err != nil {
		panic(err)
	}
	viaConnect, err := switchyardv1connect.NewInferenceServiceClient(http.DefaultClient, os.Args[2]).Complete(context.Background(), connect.NewRequest(req))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s grpc: %s\\nconnect: %s\\n", client.Version, viaGrpc.GetChoices()[0].GetMessage().GetContent(), viaConnect.Msg.GetChoices()[0].GetMessage().GetContent())
}
`,
    );
    const { stdout } = await sh("go", ["run", ".", `127.0.0.1:${gateway.port}`, gateway.url], {
      cwd: project,
      env: { GOFLAGS: "-mod=mod", GOPROXY: "off", GOWORK: "off" },
    });
    expect(stdout).toBe(`${VERSION} grpc: ${ANSWER}\nconnect: ${ANSWER}\n`);
  }, 300_000);
});
