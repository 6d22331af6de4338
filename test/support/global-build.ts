import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

/**
 * vitest globalSetup: compile dist/ (what `npm start` runs) once, before any
 * test file starts. Tests that spawn the compiled gateway (the drain and
 * compiled-gateway suites) must never meet a missing or half-written dist/,
 * which is what happened when each built it for itself in parallel.
 */
export default async function setup() {
  const root = path.resolve(import.meta.dirname, "../..");
  await promisify(execFile)(process.execPath, ["scripts/build-if-stale.mjs"], { cwd: root });
}
