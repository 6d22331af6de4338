import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startAzurite } from "./emulators/azurite.js";
import { startFakeGcs } from "./emulators/fake-gcs.js";
import { startMoto } from "./emulators/moto.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** moto S3 endpoint shared by the run, e.g. http://127.0.0.1:PORT. */
    s3Endpoint: string;
    /** fake-gcs-server endpoint shared by the run. */
    gcsEndpoint: string;
    /** Azurite blob connection string shared by the run. */
    azuriteConnectionString: string;
  }
}

/**
 * vitest globalSetup: the object-storage emulators the cache tests run
 * against, started once per run in parallel. A missing emulator fails the
 * run with how to install it; nothing is skipped.
 */
export default async function setup(project: TestProject) {
  const starts = [startMoto(), startFakeGcs(), startAzurite()] as const;
  const settled = await Promise.allSettled(starts);
  const failures = settled.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failures.length > 0) {
    await Promise.all(settled.map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    throw new Error(`cache test emulators failed to start:\n${failures.join("\n")}`);
  }
  const [moto, gcs, azurite] = await Promise.all(starts);
  project.provide("s3Endpoint", moto.endpoint);
  project.provide("gcsEndpoint", gcs.endpoint);
  project.provide("azuriteConnectionString", azurite.connectionString);
  return async () => {
    await Promise.all([moto.stop(), gcs.stop(), azurite.stop()]);
  };
}
