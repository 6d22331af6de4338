import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { onFreePort, spawnService, type RunningService } from "./process.js";

/** Where .ci/setup.d/30-cache-emulators.sh installs it (a venv); PATH is the fallback. */
const INSTALLED = fileURLToPath(new URL("../../../.tools/moto/bin/moto_server", import.meta.url));

/** moto's S3-compatible server (PyPI `moto[server]`), in memory, on loopback. */
export async function startMoto(port?: number): Promise<RunningService> {
  if (port === undefined) return onFreePort((free) => startMoto(free));
  const chosen = port;
  return spawnService({
    name: "moto_server",
    command: process.env.MOTO_SERVER ?? (existsSync(INSTALLED) ? INSTALLED : "moto_server"),
    args: ["-H", "127.0.0.1", "-p", String(chosen)],
    port: chosen,
    installHint: "bash .ci/setup.d/30-cache-emulators.sh (moto[server] into .tools/moto)",
  });
}

/** Static credentials moto accepts (it does not check them). */
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" };
