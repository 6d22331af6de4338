import type { RedisSettings, RouterConfig } from "../../gen/ts/switchyard/v1/config_pb.js";
import { DEFAULTS } from "./defaults.js";
import type { HostPort, RedisDefaults } from "./resolved.js";

/** The one redis:// URL builder: `url` as given, else host and port with the password. */
export function redisUrlOf(connection: RedisSettings): string {
  if (connection.url) return connection.url;
  const auth = connection.password ? `:${encodeURIComponent(connection.password)}@` : "";
  return `redis://${auth}${connection.host || DEFAULTS.redis.host}:${connection.port ?? DEFAULTS.redis.port}`;
}

export function redisKeyPrefixOf(connection: RedisSettings | undefined): string {
  return connection?.keyPrefix || DEFAULTS.redis.keyPrefix;
}

export function redisCommandTimeoutOf(connection: RedisSettings | undefined): number {
  return connection?.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
}

/** The top-level `redis` section, when it names a server (url, host or cluster_nodes). */
export function resolveRedis(redis: RouterConfig["redis"]): RedisDefaults | undefined {
  if (!redis || (!redis.url && !redis.host && redis.clusterNodes.length === 0)) return undefined;
  const common = { keyPrefix: redisKeyPrefixOf(redis), commandTimeoutMs: redisCommandTimeoutOf(redis) };
  if (redis.clusterNodes.length > 0) return { url: "", clusterNodes: redis.clusterNodes, ...common };
  return { url: redisUrlOf(redis), ...common };
}

/** "host:port" → HostPort; the config check reports malformed entries first. */
export function parseHostPort(address: string): HostPort {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}
