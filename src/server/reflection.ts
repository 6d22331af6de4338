import { create, createFileRegistry, toBinary, type DescFile, type FileRegistry, type MessageInitShape } from "@bufbuild/protobuf";
import { shown } from "../util/cap.js";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";

/** Request and response are identical on v1 and v1alpha; only the package differs. */
type ReflectionRequest = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;
/** Plain init objects, so one answer fits both the v1 and the v1alpha response. */
type Answer = NonNullable<MessageInitShape<typeof v1.ServerReflectionResponseSchema>["messageResponse"]>;

/**
 * gRPC server reflection over the gateway's own descriptors, so `buf curl`
 * and grpcurl need no schema flag. Files are answered with their
 * transitive dependencies, serialized once and then reused.
 */
export class ReflectionIndex {
  private readonly serialized = new Map<string, Uint8Array>();

  constructor(
    private readonly registry: FileRegistry,
    private readonly serviceNames: readonly string[],
  ) {}

  answer(request: ReflectionRequest): Answer {
    const query = request.messageRequest;
    switch (query.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = this.registry.getFile(query.value);
        return file ? this.files(file) : notFound(`file ${shown(query.value)} not found`);
      }
      case "fileContainingSymbol": {
        const file = this.fileOfSymbol(query.value);
        return file ? this.files(file) : notFound(`symbol ${shown(query.value)} not found`);
      }
      case "fileContainingExtension":
        return notFound(`no extension ${query.value.extensionNumber} of ${shown(query.value.containingType)}`);
      case "allExtensionNumbersOfType": {
        if (!this.registry.getMessage(query.value)) return notFound(`type ${shown(query.value)} not found`);
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: query.value, extensionNumber: [] } };
      }
      default:
        return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" } };
    }
  }

  /** A symbol may be a type, a service, or a method/field/enum value nested in one. */
  private fileOfSymbol(symbol: string): DescFile | undefined {
    const direct = this.registry.get(symbol);
    if (direct) return direct.file;
    const parent = symbol.slice(0, symbol.lastIndexOf("."));
    const container = parent ? this.registry.get(parent) : undefined;
    if (container) return container.file;
    return undefined;
  }

  private files(file: DescFile): Answer {
    const ordered: DescFile[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      ordered.push(f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: ordered.map((f) => this.bytesOf(f)) } };
  }

  private bytesOf(file: DescFile): Uint8Array {
    let bytes = this.serialized.get(file.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.serialized.set(file.name, bytes);
    }
    return bytes;
  }
}

function notFound(message: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}

export function reflectionServiceV1(index: ReflectionIndex): ServiceImpl<typeof v1.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: index.answer(request),
        });
      }
    },
  };
}

export function reflectionServiceV1alpha(index: ReflectionIndex): ServiceImpl<typeof v1alpha.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: index.answer(request) as MessageInitShape<typeof v1alpha.ServerReflectionResponseSchema>["messageResponse"],
        });
      }
    },
  };
}

/** A registry of the given files and everything they import, dependencies first. */
export function registryOf(files: readonly DescFile[]): FileRegistry {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    f.dependencies.forEach(visit);
    ordered.push(f);
  };
  files.forEach(visit);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered.map((f) => f.proto) }));
}
