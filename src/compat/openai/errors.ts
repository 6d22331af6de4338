import { ErrorKind } from "../../../gen/ts/switchyard/v1/inference_pb.js";
import { kindName } from "../../errors/status.js";
import type { HttpError } from "../http/error-status.js";

/** OpenAI's `error.type` per HTTP status class, as its API reference lists them. */
function errorType(error: HttpError): string {
  switch (error.status) {
    case 400:
    case 404:
    case 413:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return error.status >= 500 ? "server_error" : "invalid_request_error";
  }
}

/** `{"error":{"message","type","param","code"}}`: what the OpenAI SDKs parse into their exception classes. */
export function openaiErrorBody(error: HttpError) {
  const code = error.kind === ErrorKind.NOT_FOUND ? "model_not_found" : error.kind === ErrorKind.RATE_LIMITED ? "rate_limit_exceeded" : kindName(error.kind).toLowerCase();
  return { error: { message: error.message, type: errorType(error), param: error.field ?? null, code } };
}
