import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real servers (gateway, Redis, emulators); give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Build dist/ and start shared external services (Redis, emulators) once per run; each file here exports setup/teardown.
    globalSetup: ["test/support/global-build.ts", "test/support/global-redis.ts", "test/support/global-emulators.ts"],
  },
});
