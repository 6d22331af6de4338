/**
 * Installs the load tools and the peer gateways into the scratch folder
 * (never the repo), each at a pinned version, skipping what is already
 * there. A peer that fails to install is not an error of the run: its exact
 * failure goes into the report.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { run } from "./process.js";

export const PINS = {
  vegeta: { module: "github.com/tsenart/vegeta/v12", version: "v12.13.0" },
  ghz: { module: "github.com/bojand/ghz/cmd/ghz", version: "v0.120.0" },
  // 1.82.7 and 1.82.8 were the compromised PyPI uploads of March 2026; 1.82.6 predates them and is the
  // release the ecosystem pinned to as known clean.
  litellm: { pypi: "litellm[proxy]", version: "1.82.6" },
  matplotlib: { pypi: "matplotlib", version: "3.11.2" },
  portkey: { npm: "@portkey-ai/gateway", version: "1.15.2" },
  // Bifrost's HTTP gateway: the `bifrost-http` main package of the transports module.
  bifrost: { module: "github.com/maximhq/bifrost/transports/bifrost-http", version: "v1.3.0" },
} as const;

/**
 * Why the other published route was not taken (checked by unpacking the package on 2026-11-25): the npm
 * package is a launcher whose bin.js downloads a prebuilt binary from the vendor's own download host at
 * first run, and a benchmark machine here reaches package registries only.
 */
const BIFROST_NPM_NOTE =
  "The other published route, npm @maximhq/bifrost@1.6.3, is only a launcher: its bin.js downloads a prebuilt binary from downloads.getmaxim.ai at first run, a host this machine cannot reach (package registries only).";

export interface Tools {
  vegeta: string;
  ghz: string;
  streamload: string;
  python: string;
}

export type PeerInstall = { ok: true; version: string; detail: string } | { ok: false; version: string; reason: string };

export interface Installed {
  tools: Tools;
  peers: { litellm: PeerInstall; portkey: PeerInstall; bifrost: PeerInstall };
  litellmBin: string;
  portkeyEntry: string;
  bifrostBin: string;
}

const GO_ENV = (bin: string) => ({ GOBIN: bin, GOFLAGS: "-mod=mod" });

async function goInstall(bin: string, module: string, version: string, name: string): Promise<string> {
  const target = path.join(bin, name);
  if (!existsSync(target)) await run("go", ["install", `${module}@${version}`], { env: GO_ENV(bin), timeoutMs: 10 * 60_000 });
  return target;
}

async function pipInstalledVersion(python: string, dist: string): Promise<string | undefined> {
  const out = await run(python, ["-c", `import importlib.metadata as m; print(m.version(${JSON.stringify(dist)}))`]).catch(() => "");
  return out.trim() || undefined;
}

/** The tool's own words about why it failed: the lines that say so, without our command prefix or progress noise. */
export function failureReason(err: unknown): string {
  const message = (err as Error).message.replace(/^[\s\S]*?exited \S+: /, "");
  const lines = message.split("\n").filter((l) => /error|denied|forbidden|not available|not found|failed|refused|No matching/i.test(l));
  const picked = lines.length > 0 ? lines.slice(-4) : message.split("\n").slice(-4);
  return picked.map((l) => l.trim()).join(" ").replace(/\.+$/, "").slice(0, 600);
}

export async function install(workdir: string, repoRoot: string, log: (line: string) => void): Promise<Installed> {
  const bin = path.join(workdir, "bin");
  await mkdir(bin, { recursive: true });

  log("installing vegeta and ghz (go install, pinned) …");
  const vegeta = await goInstall(bin, PINS.vegeta.module, PINS.vegeta.version, "vegeta");
  const ghz = await goInstall(bin, PINS.ghz.module, PINS.ghz.version, "ghz");
  log("building streamload (bench/loadgen) …");
  const streamload = path.join(bin, "streamload");
  await run("go", ["build", "-o", streamload, "."], { cwd: path.join(repoRoot, "bench", "loadgen"), timeoutMs: 5 * 60_000 });

  const venv = path.join(workdir, "venv");
  const python = path.join(venv, "bin", "python");
  if (!existsSync(python)) await run("python3", ["-m", "venv", venv]);
  if ((await pipInstalledVersion(python, "matplotlib")) !== PINS.matplotlib.version) {
    log("installing matplotlib into the scratch venv …");
    await run(python, ["-m", "pip", "install", "-q", `${PINS.matplotlib.pypi}==${PINS.matplotlib.version}`], { timeoutMs: 10 * 60_000 });
  }

  let litellm: PeerInstall;
  try {
    if ((await pipInstalledVersion(python, "litellm")) !== PINS.litellm.version) {
      log(`installing LiteLLM ${PINS.litellm.version} (PyPI) …`);
      await run(python, ["-m", "pip", "install", "-q", `${PINS.litellm.pypi}==${PINS.litellm.version}`], { timeoutMs: 15 * 60_000 });
    }
    litellm = { ok: true, version: PINS.litellm.version, detail: `pip install '${PINS.litellm.pypi}==${PINS.litellm.version}'` };
  } catch (err) {
    litellm = { ok: false, version: PINS.litellm.version, reason: failureReason(err) };
  }

  let portkey: PeerInstall;
  const portkeyDir = path.join(workdir, "portkey");
  const portkeyEntry = path.join(portkeyDir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
  try {
    await mkdir(portkeyDir, { recursive: true });
    if (!existsSync(portkeyEntry)) {
      log(`installing Portkey gateway ${PINS.portkey.version} (npm) …`);
      await run("npm", ["install", "--prefix", portkeyDir, "--no-audit", "--no-fund", "--no-save", `${PINS.portkey.npm}@${PINS.portkey.version}`], { timeoutMs: 10 * 60_000 });
    }
    portkey = { ok: true, version: PINS.portkey.version, detail: `npm install ${PINS.portkey.npm}@${PINS.portkey.version}` };
  } catch (err) {
    portkey = { ok: false, version: PINS.portkey.version, reason: failureReason(err) };
  }

  let bifrost: PeerInstall;
  const bifrostBin = path.join(bin, "bifrost-http");
  try {
    log(`installing Bifrost ${PINS.bifrost.version} (go install) …`);
    await goInstall(bin, PINS.bifrost.module, PINS.bifrost.version, "bifrost-http");
    bifrost = { ok: true, version: PINS.bifrost.version, detail: `go install ${PINS.bifrost.module}@${PINS.bifrost.version}` };
  } catch (err) {
    bifrost = {
      ok: false,
      version: PINS.bifrost.version,
      reason:
        `\`go install ${PINS.bifrost.module}@${PINS.bifrost.version}\` failed with "${failureReason(err)}". ` +
        BIFROST_NPM_NOTE,
    };
  }

  return { tools: { vegeta, ghz, streamload, python }, peers: { litellm, portkey, bifrost }, litellmBin: path.join(venv, "bin", "litellm"), portkeyEntry, bifrostBin };
}
