import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../clients/client-gateway.js";

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const major = (version: string) => Number(version.replace(/^[v^~>=]*/, "").split(".")[0]);

describe("the pinned Node runtime", () => {
  it("runs these tests on the Node the project pins, not the machine's", () => {
    // npm (npm test, npx vitest) puts node_modules/.bin first on PATH, so `#!/usr/bin/env node` finds the pinned binary.
    const pinned = execFileSync(path.join(REPO_ROOT, "node_modules/.bin/node"), ["-p", "process.version"], { encoding: "utf8" }).trim();
    expect(process.version).toBe(pinned);
    expect(process.version).toBe(`v${Object.values(pkg.optionalDependencies)[0]}`);
  });

  it("pins one version for every platform, matching .nvmrc, engines and @types/node", () => {
    const versions = new Set(Object.values(pkg.optionalDependencies));
    expect(versions.size).toBe(1);
    const [version] = versions;
    expect(major(version!)).toBe(Number(readFileSync(path.join(REPO_ROOT, ".nvmrc"), "utf8").trim()));
    expect(major(version!)).toBeGreaterThanOrEqual(major(pkg.engines.node));
    expect(major(pkg.engines.node)).toBeGreaterThanOrEqual(24);
    expect(major(pkg.devDependencies["@types/node"]!)).toBe(major(version!));
  });
});
