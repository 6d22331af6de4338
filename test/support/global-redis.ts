import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the redis-server shared by the whole test run. */
    redisUrl: string;
  }
}

/** vitest globalSetup: one real redis-server for the run; tests read its URL with inject("redisUrl"). */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
