import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/ts/grpc/health/v1/health_pb.js";
import * as v1 from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { mockConfig, startTestGateway } from "../support/gateway.js";

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startTestGateway(mockConfig());
});
afterAll(() => gateway.close(0));

/** Sends reflection requests on one bidi stream and collects the answers. */
async function reflect(service: typeof v1.ServerReflection | typeof v1alpha.ServerReflection, requests: object[]) {
  const client = createClient(service as typeof v1.ServerReflection, createGrpcTransport({ baseUrl: gateway.url }));
  async function* input() {
    for (const r of requests) yield create(v1.ServerReflectionRequestSchema, r);
  }
  const answers = [];
  for await (const answer of client.serverReflectionInfo(input())) answers.push(answer);
  return answers;
}

describe.each([
  ["grpc.reflection.v1", v1.ServerReflection],
  ["grpc.reflection.v1alpha", v1alpha.ServerReflection],
] as const)("%s", (_name, service) => {
  it("lists every service", async () => {
    const [answer] = await reflect(service, [{ messageRequest: { case: "listServices", value: "" } }]);
    expect(answer?.messageResponse.case).toBe("listServicesResponse");
    const names = (answer?.messageResponse.value as v1.ListServiceResponse).service.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "switchyard.v1.InferenceService",
        "switchyard.v1.AdminService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  it("returns the file defining a method, with its dependencies", async () => {
    const [answer] = await reflect(service, [
      { messageRequest: { case: "fileContainingSymbol", value: "switchyard.v1.InferenceService.StreamComplete" } },
    ]);
    expect(answer?.messageResponse.case).toBe("fileDescriptorResponse");
    const files = (answer?.messageResponse.value as v1.FileDescriptorResponse).fileDescriptorProto.map((bytes) =>
      fromBinary(FileDescriptorProtoSchema, bytes),
    );
    expect(files[0]?.name).toBe("switchyard/v1/inference.proto");
    expect(files[0]?.service[0]?.method.map((m) => m.name)).toContain("StreamComplete");
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining(["google/protobuf/struct.proto", "google/protobuf/timestamp.proto"]),
    );
  });

  it("answers file_by_filename and reports unknown symbols as NOT_FOUND in-band", async () => {
    const [byName, unknown] = await reflect(service, [
      { messageRequest: { case: "fileByFilename", value: "switchyard/v1/config.proto" } },
      { messageRequest: { case: "fileContainingSymbol", value: "nope.Nothing" } },
    ]);
    const file = fromBinary(FileDescriptorProtoSchema, (byName?.messageResponse.value as v1.FileDescriptorResponse).fileDescriptorProto[0]!);
    expect(file.messageType.map((m) => m.name)).toContain("RouterConfig");
    expect(unknown?.messageResponse.case).toBe("errorResponse");
    expect((unknown?.messageResponse.value as v1.ErrorResponse).errorCode).toBe(Code.NotFound);
  });
});

describe("grpc.health.v1.Health", () => {
  it("reports SERVING for the server and each service, NOT_FOUND for unknown services", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: gateway.url }));
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "switchyard.v1.InferenceService" })).status).toBe(Status.SERVING);
    const err = await client.check({ service: "no.Such" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
    const { statuses } = await client.list({});
    expect(statuses["switchyard.v1.InferenceService"]?.status).toBe(Status.SERVING);
  });
});

describe("health Watch during shutdown", () => {
  it("streams SERVING, then NOT_SERVING when the gateway begins to shut down", async () => {
    const own = await startTestGateway(mockConfig());
    const client = createClient(Health, createGrpcTransport({ baseUrl: own.url }));
    const seen: Status[] = [];
    const watching = (async () => {
      try {
        for await (const update of client.watch({ service: "switchyard.v1.InferenceService" })) {
          seen.push(update.status);
          if (update.status === Status.SERVING) void own.close(60_000);
        }
      } catch {
        // the stream is cut when shutdown completes
      }
    })();
    await watching;
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });
});
