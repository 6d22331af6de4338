import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EmbeddingRequestSchema, EmbeddingResponseSchema, ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { resolveConfig } from "../../src/config/resolve.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { DeploymentRuntime } from "../../src/router/deployment-runtime.js";
import { Router } from "../../src/router/router.js";
import { FakeClock } from "../support/fake-clock.js";
import { configFromYaml } from "../support/gateway.js";
import { chat, ctx } from "./support.js";

/** The real providers plus "embed-only": adapters that offer embeddings alone and record what happens to them. */
function recordingProviders() {
  const created: string[] = [];
  const closed: string[] = [];
  const providers = builtinProviders().register({
    name: "embed-only",
    create(deployment) {
      created.push(deployment.id);
      const adapter: ProviderAdapter = {
        embed: async () => create(EmbeddingResponseSchema, { model: deployment.params?.model ?? "" }),
        close: async () => void closed.push(deployment.id),
      };
      return adapter;
    },
  });
  return { providers, created, closed };
}

const config = JSON.stringify({
  model_list: [
    { model_name: "vectors", id: "e1", provider: "embed-only", params: { model: "v-1" } },
    { model_name: "chat", id: "m1", provider: "mock", params: { model: "mock-1" } },
  ],
});

describe("DeploymentRuntime", () => {
  it("is where adapters are built: resolving the config builds none", () => {
    const { providers, created } = recordingProviders();
    const resolved = resolveConfig(configFromYaml(config, providers), providers);
    expect(resolved.deployments.map((d) => d.id)).toEqual(["e1", "m1"]);
    expect(created).toEqual([]);
    new DeploymentRuntime(resolved, providers, { clock: new FakeClock() });
    expect(created).toEqual(["e1"]);
  });

  it("hands out each deployment's method per call type, undefined for a call its provider lacks", async () => {
    const { providers } = recordingProviders();
    const resolved = resolveConfig(configFromYaml(config, providers), providers);
    const runtime = new DeploymentRuntime(resolved, providers, { clock: new FakeClock() });
    const [embedOnly, mock] = resolved.deployments as [(typeof resolved.deployments)[0], (typeof resolved.deployments)[0]];
    const embed = runtime.call("embed", embedOnly);
    if (!embed) throw new Error("the embed-only deployment offers no embed");
    const answer = await embed(create(EmbeddingRequestSchema, { model: "vectors", input: ["x"] }), { signal: new AbortController().signal });
    expect(answer.model).toBe("v-1");
    expect(runtime.call("complete", embedOnly)).toBeUndefined();
    expect(runtime.call("stream", embedOnly)).toBeUndefined();
    expect(runtime.call("complete", mock)).toBeTypeOf("function");
    expect(runtime.call("stream", mock)).toBeTypeOf("function");
  });

  it("closes every adapter once, however often it is closed", async () => {
    const { providers, closed } = recordingProviders();
    const runtime = new DeploymentRuntime(resolveConfig(configFromYaml(config, providers), providers), providers, { clock: new FakeClock() });
    await Promise.all([runtime.close(), runtime.close()]);
    await runtime.close();
    expect(closed).toEqual(["e1"]);
  });

  it("lets the router route a call type only to deployments that offer it", async () => {
    const { providers } = recordingProviders();
    const runtime = new DeploymentRuntime(resolveConfig(configFromYaml(config, providers), providers), providers, { clock: new FakeClock() });
    const router = new Router(runtime, { clock: new FakeClock() });
    await expect(router.complete(chat("vectors"), ctx())).rejects.toMatchObject({
      kind: ErrorKind.INVALID_REQUEST,
      message: 'model group "vectors" does not support completions',
    });
    const embedded = await router.embed(create(EmbeddingRequestSchema, { model: "vectors", input: ["x"] }), ctx());
    expect(embedded.deploymentId).toBe("e1");
  });
});
