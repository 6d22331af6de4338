import { freePort, onFreePort, spawnService } from "./emulators/process.js";

export { freePort };

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a real, throwaway redis-server on loopback (no persistence): on
 * `port` when given (restarting one a test stopped), else on a free port.
 * Fails loudly when redis-server is not installed: tests that need Redis
 * must never silently skip.
 */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const start = (chosen: number) =>
    spawnService({
      name: "redis-server",
      command: "redis-server",
      args: ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
      port: chosen,
      installHint: "apt-get install redis-server",
    });
  const service = port === undefined ? await onFreePort(start) : await start(port);
  return { url: `redis://127.0.0.1:${service.port}`, port: service.port, stop: service.stop };
}
