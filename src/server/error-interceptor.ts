import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { toConnectError } from "../errors/status.js";

/**
 * Maps every error a handler throws, including mid-stream, to a
 * ConnectError through the taxonomy table, so handlers and the layers
 * below only ever throw GatewayError.
 */
export function errorMappingInterceptor(onError?: (err: unknown, procedure: string) => void): Interceptor {
  return (next) => async (request) => {
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const map = (err: unknown) => {
      const mapped = toConnectError(err);
      onError?.(err, procedure);
      return mapped;
    };
    try {
      const response = await next(request);
      if (!response.stream) return response;
      const mapped: StreamResponse = { ...response, message: mapStreamErrors(response.message, map) };
      return mapped as typeof response;
    } catch (err) {
      throw map(err);
    }
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, map: (err: unknown) => Error): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw map(err);
  }
}
