import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CompletionRequestSchema, RequestOptionsSchema, type CompletionRequest } from "../../gen/ts/switchyard/v1/inference_pb.js";
import { resolveConfig, type ResolvedConfig } from "../../src/config/resolve.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { newRequestContext, type RequestContext } from "../../src/router/request-context.js";
import { DeploymentRuntime } from "../../src/router/deployment-runtime.js";
import { Router, type RouterDeps } from "../../src/router/router.js";
import { idleStats, type DeploymentStats } from "../../src/router/state/state-store.js";
import type { Candidate } from "../../src/router/strategy.js";
import { seededRandom } from "../../src/util/random.js";
import { FakeClock } from "../support/fake-clock.js";
import { configFromYaml } from "../support/gateway.js";

/** A config (YAML/JSON text, parsed and validated like the CLI does) resolved with the real providers. */
export function resolved(config: unknown): ResolvedConfig {
  const providers = builtinProviders();
  const text = typeof config === "string" ? config : JSON.stringify(config);
  return resolveConfig(configFromYaml(text, providers), providers);
}

export interface RouterUnderTest {
  router: Router;
  config: ResolvedConfig;
  clock: FakeClock;
}

/** A Router (not started: no health checks run) over the real providers' adapters on a fake clock, with seeded dice. */
export function routerFor(config: unknown, deps: RouterDeps & { clock?: FakeClock; seed?: number } = {}): RouterUnderTest {
  const clock = deps.clock ?? new FakeClock();
  const resolvedConfig = resolved(config);
  const router = new Router(new DeploymentRuntime(resolvedConfig, builtinProviders(), { clock }), { random: seededRandom(deps.seed ?? 7), ...deps, clock });
  return { router, config: resolvedConfig, clock };
}

/** A deployment entry served by the mock provider. */
export function mockDeployment(group: string, id: string, mock: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { model_name: group, id, provider: "mock", params: { model: "mock-1", mock }, ...extra };
}

export function chat(model: string, text = "hello", options: MessageInitShape<typeof RequestOptionsSchema> = {}, extra: { maxTokens?: number } = {}): CompletionRequest {
  return create(CompletionRequestSchema, { model, messages: [{ role: "user", content: text }], options, ...extra });
}

export function ctx(signal: AbortSignal = new AbortController().signal): RequestContext {
  return newRequestContext(signal);
}

/** Candidates for strategy tests: the config's deployments with constructed stats. */
export function candidates(config: ResolvedConfig, stats: Record<string, Partial<DeploymentStats>> = {}): Candidate[] {
  return config.deployments.map((deployment) => ({ deployment, stats: { ...idleStats(), ...stats[deployment.id] } }));
}

/**
 * Drives the fake clock in 1 ms steps until `work` settles, so backoff
 * sleeps and timers fire at their exact times; returns the result and
 * the fake time it took.
 */
export async function runOnClock<T>(clock: FakeClock, work: Promise<T>, maxMs = 120_000): Promise<{ value: T; elapsedMs: number }> {
  const start = clock.now();
  let done = false;
  let value: T | undefined;
  let error: unknown;
  work.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  await clock.advance(0);
  while (!done) {
    if (clock.now() - start > maxMs) throw new Error(`work did not settle within ${maxMs} fake ms`);
    await clock.advance(clock.pending > 0 ? 1 : 0);
  }
  if (error !== undefined) throw Object.assign(error as object, { elapsedMs: clock.now() - start });
  return { value: value as T, elapsedMs: clock.now() - start };
}

/** Collects a stream, returning the chunks received before it ended or failed, and the error. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<{ chunks: T[]; error?: unknown }> {
  const chunks: T[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}
