import { createRequire } from "node:module";
import path from "node:path";
import { onFreePort, spawnService, type RunningService } from "./process.js";

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite extends RunningService {
  connectionString: string;
}

/** Azurite's blob service (npm devDependency), in memory, on loopback, without telemetry. */
export async function startAzurite(port?: number): Promise<RunningAzurite> {
  if (port === undefined) return onFreePort((free) => startAzurite(free));
  const chosen = port;
  const require = createRequire(import.meta.url);
  const main = path.join(path.dirname(require.resolve("azurite/package.json")), "dist/src/blob/main.js");
  const service = await spawnService({
    name: "azurite-blob",
    command: process.execPath,
    args: [
      main,
      "--blobHost", "127.0.0.1",
      "--blobPort", String(chosen),
      "--inMemoryPersistence",
      "--extentMemoryLimit", "256",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
    ],
    port: chosen,
    installHint: "npm ci (azurite is a devDependency)",
  });
  return {
    ...service,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${chosen}/${DEV_ACCOUNT};`,
  };
}
