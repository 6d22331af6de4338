import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ERROR_DOMAIN } from "../errors/status.js";

/** ErrorInfo reasons of auth refusals, so clients can tell them apart without parsing messages. */
export type AuthRefusal =
  | "MISSING_CREDENTIALS"
  | "INVALID_KEY"
  | "KEY_REVOKED"
  | "KEY_EXPIRED"
  | "MASTER_KEY_REQUIRED"
  | "MODEL_NOT_ALLOWED"
  | "KEY_RATE_LIMITED"
  | "KEY_BUDGET_EXCEEDED";

type Details = NonNullable<ConstructorParameters<typeof ConnectError>[3]>;

// Messages never contain the presented secret, only ids the operator assigned.
function refusal(message: string, code: Code, reason: AuthRefusal, metadata: Record<string, string> = {}, extra: Details = []) {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) },
    ...extra,
  ]);
}

export const authErrors = {
  missing: () =>
    refusal("missing credentials: send `authorization: Bearer <key>` or `x-api-key: <key>`", Code.Unauthenticated, "MISSING_CREDENTIALS"),
  invalid: () => refusal("invalid API key", Code.Unauthenticated, "INVALID_KEY"),
  revoked: (keyId: string) => refusal(`key ${keyId} has been revoked`, Code.Unauthenticated, "KEY_REVOKED", { key_id: keyId }),
  expired: (keyId: string) => refusal(`key ${keyId} has expired`, Code.Unauthenticated, "KEY_EXPIRED", { key_id: keyId }),
  masterRequired: (procedure: string) =>
    refusal(`${procedure} requires the master key`, Code.PermissionDenied, "MASTER_KEY_REQUIRED"),
  modelNotAllowed: (keyId: string, group: string) =>
    refusal(`key ${keyId} may not call model group "${group}"`, Code.PermissionDenied, "MODEL_NOT_ALLOWED", { key_id: keyId, model_group: group }),
  rateLimited: (keyId: string, limit: "rpm" | "tpm", value: number, retryAfterMs: number) =>
    refusal(
      `key ${keyId} is over its ${limit} limit (${value}); retry in ${Math.ceil(retryAfterMs / 1000)} s`,
      Code.ResourceExhausted,
      "KEY_RATE_LIMITED",
      { key_id: keyId, limit },
      [
        {
          desc: RetryInfoSchema,
          value: create(RetryInfoSchema, {
            retryDelay: { seconds: BigInt(Math.floor(retryAfterMs / 1000)), nanos: Math.round(retryAfterMs % 1000) * 1_000_000 },
          }),
        },
      ],
    ),
  budgetExceeded: (keyId: string, maxBudgetUsd: number, spendUsd: number, periodEnds: Date | undefined, committed: boolean) =>
    refusal(
      committed
        ? `key ${keyId} has the rest of its budget committed to calls in flight ($${spendUsd.toFixed(6)} of $${maxBudgetUsd} spent)`
        : `key ${keyId} has spent its budget ($${spendUsd.toFixed(6)} of $${maxBudgetUsd})`,
      Code.ResourceExhausted,
      "KEY_BUDGET_EXCEEDED",
      { key_id: keyId },
      [
        {
          desc: QuotaFailureSchema,
          value: create(QuotaFailureSchema, {
            violations: [
              {
                subject: `key:${keyId}`,
                description: `max_budget_usd ${maxBudgetUsd} spent${periodEnds ? `; resets at ${periodEnds.toISOString()}` : ""}`,
              },
            ],
          }),
        },
      ],
    ),
};
