import { accessSync, constants } from "node:fs";
import { dirname, resolve } from "node:path";
import type { RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { DEFAULTS } from "../config/defaults.js";
import type { PathSegments, SemanticProblem } from "../config/problems.js";
import type { RedisDefaults } from "../config/resolved.js";
import type { Logger } from "../observability/logger.js";
import type { Clock } from "../util/clock.js";
import { Authenticator } from "./authenticator.js";
import { FileKeyStore } from "./file-key-store.js";
import { RedisKeyStore } from "./redis-key-store.js";

/** Shorter master keys are guessable; the generated virtual keys have 43 random characters. */
const MIN_MASTER_KEY_LENGTH = 16;
/**
 * The router treats a Redis slower than redis.command_timeout_ms as down and
 * carries on with local state; auth cannot (it fails closed), so a busy Redis
 * gets longer before a call is refused as UNAVAILABLE.
 */
const MIN_AUTH_COMMAND_TIMEOUT_MS = 2_000;

/** What validate-config reports about auth_settings and server_settings.tls. */
export function authSettingsProblems(config: RouterConfig): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const problem = (segments: PathSegments, message: string) => problems.push({ segments, message });
  const auth = config.authSettings;
  if (auth) {
    const at = ["auth_settings"];
    if (auth.masterKey && auth.masterKey.length < MIN_MASTER_KEY_LENGTH) {
      problem([...at, "master_key"], `must be at least ${MIN_MASTER_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
    }
    if (auth.masterKey && auth.masterKey !== auth.masterKey.trim()) problem([...at, "master_key"], "must not start or end with whitespace");
    if (!auth.masterKey && (auth.storeFile || auth.keyCacheTtlMs !== undefined)) {
      problem([...at, "master_key"], "is required when auth_settings is configured (without it, auth is off and keys are not checked)");
    }
    if (auth.storeFile) {
      const dir = dirname(resolve(auth.storeFile));
      if (!writable(dir)) problem([...at, "store_file"], `directory ${dir} does not exist or is not writable`);
    }
  }
  const tls = config.serverSettings?.tls;
  if (tls) {
    const at = ["server_settings", "tls"];
    if (!tls.certFile) problem([...at, "cert_file"], "is required with tls");
    if (!tls.keyFile) problem([...at, "key_file"], "is required with tls");
    for (const [field, file] of [["cert_file", tls.certFile], ["key_file", tls.keyFile], ["client_ca_file", tls.clientCaFile]] as const) {
      if (file && !readable(file)) problem([...at, field], `cannot read ${file}`);
    }
  }
  return problems;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Authenticator for this config, or undefined when auth is off (no
 * master key): then, if a real provider is configured, a loud warning,
 * because anyone who reaches the port can spend its keys.
 */
export function createAuthenticator(
  config: RouterConfig,
  redis: RedisDefaults | undefined,
  deps: { clock: Clock; logger: Logger },
): Authenticator | undefined {
  const settings = config.authSettings;
  if (!settings?.masterKey) {
    const real = [...new Set(config.modelList.map((d) => d.provider).filter((p) => p !== "mock"))];
    if (real.length > 0) {
      deps.logger.warn(
        { providers: real },
        "AUTH IS OFF: no auth_settings.master_key is set, so anyone who can reach this port can spend these providers' keys, " +
          "wipe the cache and read router state. Set auth_settings.master_key (e.g. os.environ/SWITCHYARD_MASTER_KEY).",
      );
    }
    return undefined;
  }
  const store = redis
    ? new RedisKeyStore({ ...redis, commandTimeoutMs: Math.max(redis.commandTimeoutMs, MIN_AUTH_COMMAND_TIMEOUT_MS), logger: deps.logger })
    : new FileKeyStore(settings.storeFile || DEFAULTS.auth.storeFile);
  return new Authenticator({
    masterKey: settings.masterKey,
    store,
    clock: deps.clock,
    logger: deps.logger,
    cacheTtlMs: settings.keyCacheTtlMs ?? DEFAULTS.auth.keyCacheTtlMs,
  });
}
