// `npm start`'s prestart: compile src/ and gen/ts/ to dist/ only when a
// source is newer than the last build, so a restart does not pay for tsc.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, utimesSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const stamp = path.join(root, "dist", ".tsbuildinfo");

function newestMtime(entry) {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

let built = 0;
try {
  built = statSync(stamp).mtimeMs;
} catch {
  // never built
}
const sources = ["src", "gen/ts", "tsconfig.json", "tsconfig.build.json", "package-lock.json"].map((p) => path.join(root, p));
if (built === 0 || Math.max(...sources.map(newestMtime)) > built) {
  const tsc = spawnSync("npx", ["--no-install", "tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // tsc leaves its build info untouched when no output changed (a touched file); mark the build as current anyway.
  const now = new Date();
  utimesSync(stamp, now, now);
}
