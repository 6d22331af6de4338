import { create, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { DeploymentSchema } from "../../gen/ts/switchyard/v1/config_pb.js";
import {
  CompletionRequestSchema,
  ModelResponseChunkSchema,
  type ModelResponseChunk,
} from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ProviderAdapter, ProviderFactory } from "../../src/providers/provider.js";
import { FakeClock } from "../support/fake-clock.js";

export const TEST_KEY = "sk-test-secret-key-0123456789";

/** An adapter built the way the gateway builds it: the factory, from a Deployment. */
export function adapterFor(
  factory: ProviderFactory,
  params: MessageInitShape<typeof DeploymentSchema>["params"],
  clock = new FakeClock(),
): ProviderAdapter {
  const deployment = create(DeploymentSchema, { modelName: "test", provider: factory.name, params });
  const problems = factory.validate?.(deployment) ?? [];
  if (problems.length > 0) throw new Error(`invalid test deployment: ${JSON.stringify(problems)}`);
  return factory.create(deployment, { clock });
}

export function completion(init: MessageInitShape<typeof CompletionRequestSchema>) {
  return create(CompletionRequestSchema, init);
}

/** The smallest request, as init fields to spread into variants. */
export const HELLO_INIT = { model: "test", messages: [{ role: "user", content: "Hello!" }] };
export const HELLO = completion(HELLO_INIT);

export function call() {
  return { signal: new AbortController().signal };
}

export async function collect(stream: AsyncIterable<ModelResponseChunk>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const c of stream) out.push(toJson(ModelResponseChunkSchema, c));
  return out;
}

/** The error a promise (or a stream drained to the end) rejects with. */
export async function failure(work: Promise<unknown> | AsyncIterable<unknown>): Promise<any> {
  try {
    if (Symbol.asyncIterator in work) for await (const _ of work);
    else await work;
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure, got success");
}
