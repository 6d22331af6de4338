import { freePort } from "../redis-server.js";
import { spawnService, type RunningService } from "./process.js";

/** moto's S3-compatible server (PyPI `moto[server]`), in memory, on loopback. */
export async function startMoto(port?: number): Promise<RunningService> {
  const chosen = port ?? (await freePort());
  return spawnService({
    name: "moto_server",
    command: "moto_server",
    args: ["-H", "127.0.0.1", "-p", String(chosen)],
    port: chosen,
    installHint: "pip install 'moto[server]' (see .ci/setup.d/30-cache-emulators.sh)",
  });
}

/** Static credentials moto accepts (it does not check them). */
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" };
