#!/usr/bin/env node
// Runs the compiled gateway: `npm run build` (or `npm start`, which builds when stale) writes dist/.
try {
  await import("../dist/src/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist/src/main.js")) throw err;
  process.stderr.write("switchyard: dist/ is missing; run `npm run build` first\n");
  process.exitCode = 1;
}
