/**
 * Re-renders a report from its saved figures, e.g. after writing the
 * hand-written analysis next to it or changing the report layout:
 *   tsx bench/render.ts bench/results/2026-11-25.json
 * Writes <name>.md beside the JSON, appending <name>.notes.md when present;
 * redraws <name>.png when the scratch venv's matplotlib is there.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { run } from "./lib/process.js";
import { renderReport } from "./lib/report.js";
import type { RunData } from "./lib/results.js";

const jsonFile = process.argv[2];
if (!jsonFile?.endsWith(".json")) throw new Error("usage: tsx bench/render.ts bench/results/<name>.json");
const base = jsonFile.slice(0, -".json".length);
const data = JSON.parse(await readFile(jsonFile, "utf8")) as RunData;
const notes = existsSync(`${base}.notes.md`) ? await readFile(`${base}.notes.md`, "utf8") : undefined;
const python = path.join(process.env.BENCH_WORKDIR ?? path.join(os.tmpdir(), "switchyard-bench"), "venv", "bin", "python");
if (existsSync(python)) await run(python, [path.join(path.dirname(new URL(import.meta.url).pathname), "plot.py"), jsonFile, `${base}.png`]);
await writeFile(`${base}.md`, renderReport(data, `${path.basename(base)}.png`, notes));
process.stdout.write(`wrote ${base}.md\n`);
