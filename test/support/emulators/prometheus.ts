import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { onFreePort, spawnService, type RunningService } from "./process.js";

/**
 * A real Prometheus server (Debian's `prometheus` package) scraping the
 * given target every `scrapeIntervalS`, with its TSDB in a temp dir.
 */
export async function startPrometheus(target: string, scrapeIntervalS = 1): Promise<RunningService> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-prometheus-"));
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      `  scrape_interval: ${scrapeIntervalS}s`,
      `  evaluation_interval: ${scrapeIntervalS}s`,
      "scrape_configs:",
      "  - job_name: switchyard",
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "",
    ].join("\n"),
  );
  const service = await onFreePort((port) =>
    spawnService({
      name: "prometheus",
      command: process.env.PROMETHEUS ?? "prometheus",
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      port,
      installHint: "bash .ci/setup.d/40-prometheus.sh (apt-get install prometheus)",
    }),
  );
  return {
    ...service,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
