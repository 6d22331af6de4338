import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  CreateKeyResponseSchema,
  KeyInfoSchema,
  ListKeysResponseSchema,
  type AdminService,
  type KeyInfo,
} from "../../gen/ts/switchyard/v1/admin_pb.js";
import type { Authenticator } from "./authenticator.js";
import { generateKeyId, generateSecret, hashSecret, parseBudgetPeriod, previewOf } from "./keys.js";
import type { KeyRecord } from "./key-record.js";

type KeyRpcs = Pick<ServiceImpl<typeof AdminService>, "createKey" | "listKeys" | "getKey" | "updateKey" | "revokeKey" | "rotateKey">;

/** The key-management AdminService RPCs. The auth interceptor has already required the master key. */
export function keyAdmin(auth: Authenticator | undefined): KeyRpcs {
  const store = () => {
    if (!auth) throw new ConnectError("auth is off: set auth_settings.master_key to manage keys", Code.FailedPrecondition);
    return auth.store;
  };
  const find = async (keyId: string): Promise<KeyRecord> => {
    if (!keyId) throw new ConnectError("key_id is required", Code.InvalidArgument);
    const record = await store().get(keyId);
    if (!record) throw new ConnectError(`key ${keyId} not found`, Code.NotFound);
    return record;
  };
  const info = async (record: KeyRecord): Promise<KeyInfo> => {
    const periodStart = auth!.periodStart(record);
    return create(KeyInfoSchema, {
      keyId: record.id,
      alias: record.alias,
      models: record.models,
      rpm: record.rpm,
      tpm: record.tpm,
      maxBudgetUsd: record.maxBudgetUsd,
      budgetPeriod: record.budgetPeriod,
      expiresAt: record.expiresAtMs === undefined ? undefined : timestampFromMs(record.expiresAtMs),
      metadata: record.metadata,
      createdAt: timestampFromMs(record.createdAtMs),
      revoked: record.revoked,
      spendUsd: await store().spend(record, periodStart),
      periodStart: timestampFromMs(periodStart),
      keyPreview: record.preview,
      maxPriority: record.maxPriority ?? 0,
    });
  };
  const period = (text: string): number => {
    const ms = parseBudgetPeriod(text);
    if (ms === undefined) throw new ConnectError(`budget_period: "${text}" is not a duration like "30d", "12h", "15m"`, Code.InvalidArgument);
    return ms;
  };
  const budget = (usd: number): number => {
    if (!(usd >= 0) || !Number.isFinite(usd)) throw new ConnectError("max_budget_usd must be 0 or more", Code.InvalidArgument);
    return usd;
  };

  return {
    async createKey(request) {
      const secret = generateSecret();
      const record: KeyRecord = {
        id: generateKeyId(),
        alias: request.alias,
        models: [...request.models],
        rpm: request.rpm,
        tpm: request.tpm,
        maxBudgetUsd: budget(request.maxBudgetUsd),
        budgetPeriod: request.budgetPeriod,
        budgetPeriodMs: period(request.budgetPeriod),
        expiresAtMs: request.expiresAt ? timestampDate(request.expiresAt).getTime() : undefined,
        metadata: { ...request.metadata },
        createdAtMs: auth!.now(),
        revoked: false,
        preview: previewOf(secret),
        maxPriority: request.maxPriority,
      };
      await store().insert(record, hashSecret(secret));
      return create(CreateKeyResponseSchema, { key: secret, keyId: record.id, info: await info(record) });
    },
    async listKeys() {
      const records = await store().list();
      return create(ListKeysResponseSchema, { keys: await Promise.all(records.map(info)) });
    },
    async getKey(request) {
      return info(await find(request.keyId));
    },
    async updateKey(request) {
      const record = await find(request.keyId);
      if (request.alias !== undefined) record.alias = request.alias;
      if (request.updateModels) record.models = [...request.models];
      if (request.rpm !== undefined) record.rpm = request.rpm;
      if (request.tpm !== undefined) record.tpm = request.tpm;
      if (request.maxBudgetUsd !== undefined) record.maxBudgetUsd = budget(request.maxBudgetUsd);
      if (request.budgetPeriod !== undefined) {
        record.budgetPeriodMs = period(request.budgetPeriod);
        record.budgetPeriod = request.budgetPeriod;
      }
      if (request.expiresAt) record.expiresAtMs = timestampDate(request.expiresAt).getTime();
      if (request.updateMetadata) record.metadata = { ...request.metadata };
      if (request.maxPriority !== undefined) record.maxPriority = request.maxPriority;
      await store().put(record);
      return info(record);
    },
    async revokeKey(request) {
      const record = await find(request.keyId);
      record.revoked = true;
      await store().put(record);
      return info(record);
    },
    async rotateKey(request) {
      const record = await find(request.keyId);
      if (record.revoked) throw new ConnectError(`key ${record.id} is revoked; create a new one`, Code.FailedPrecondition);
      const secret = generateSecret();
      record.preview = previewOf(secret);
      await store().rehash(record, hashSecret(secret));
      return create(CreateKeyResponseSchema, { key: secret, keyId: record.id, info: await info(record) });
    },
  };
}
