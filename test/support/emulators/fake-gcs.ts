import { existsSync } from "node:fs";
import { onFreePort, spawnService, type RunningService } from "./process.js";

/** Where .ci/setup.d/30-cache-emulators.sh installs it; PATH is the fallback. */
const INSTALLED = "/usr/local/bin/fake-gcs-server";

/** fake-gcs-server (Go module proxy), in memory, plain HTTP on loopback. */
export async function startFakeGcs(port?: number): Promise<RunningService> {
  if (port === undefined) return onFreePort((free) => startFakeGcs(free));
  const chosen = port;
  return spawnService({
    name: "fake-gcs-server",
    command: process.env.FAKE_GCS_SERVER ?? (existsSync(INSTALLED) ? INSTALLED : "fake-gcs-server"),
    args: ["-scheme", "http", "-host", "127.0.0.1", "-port", String(chosen), "-backend", "memory", "-public-host", `127.0.0.1:${chosen}`, "-log-level", "error"],
    port: chosen,
    installHint: "bash .ci/setup.d/30-cache-emulators.sh (go install github.com/fsouza/fake-gcs-server@v1.56.1 into /usr/local/bin)",
  });
}
