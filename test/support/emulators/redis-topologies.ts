import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startRedisServer, type RedisServer } from "../redis-server.js";
import { onFreePort, spawnService, type RunningService } from "./process.js";

const run = promisify(execFile);
const INSTALL_HINT = "apt-get install redis-server (see .ci/setup.d/10-redis.sh)";

export interface RedisCluster {
  /** "127.0.0.1:PORT" of every master. */
  nodes: string[];
  stop(): Promise<void>;
}

/** A real three-master Redis Cluster on loopback (no replicas, no persistence). */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "switchyard-redis-cluster-"));
  const servers: RunningService[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      servers.push(
        await onFreePort((port) =>
          spawnService({
          name: "redis-server (cluster node)",
          command: "redis-server",
          args: [
            "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "no",
            "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`,
            "--save", "", "--appendonly", "no", "--dir", dir,
          ],
          port,
          installHint: INSTALL_HINT,
          }),
        ),
      );
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
    await waitFor(async () => {
      const states = await Promise.all(servers.map((s) => run("redis-cli", ["-p", String(s.port), "cluster", "info"])));
      return states.every((s) => s.stdout.includes("cluster_state:ok"));
    }, "redis cluster to report cluster_state:ok");
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface RedisSentinelSetup {
  master: RedisServer;
  /** "127.0.0.1:PORT" of the sentinel. */
  sentinel: string;
  masterName: string;
  stop(): Promise<void>;
}

/** A real master plus one redis-sentinel monitoring it. */
export async function startRedisSentinel(masterName = "cache-master"): Promise<RedisSentinelSetup> {
  const master = await startRedisServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), "switchyard-redis-sentinel-"));
  let sentinel: RunningService;
  try {
    // Sentinel rewrites its config file as it learns, so it gets a writable file of its own.
    sentinel = await onFreePort(async (port) => {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(conf, [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`, ""].join("\n"));
      return spawnService({ name: "redis-sentinel", command: "redis-server", args: [conf, "--sentinel"], port, installHint: INSTALL_HINT });
    });
    await waitFor(async () => {
      const { stdout } = await run("redis-cli", ["-p", String(sentinel.port), "sentinel", "get-master-addr-by-name", masterName]);
      return stdout.includes(String(master.port));
    }, "sentinel to know its master");
  } catch (err) {
    await master.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    master,
    sentinel: `127.0.0.1:${sentinel.port}`,
    masterName,
    stop: async () => {
      await Promise.all([sentinel.stop(), master.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
