import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { onFreePort, spawnService, type RunningService } from "./process.js";

/** Where .ci/setup.d/50-otel-collector.sh installs it; PATH is the fallback. */
const INSTALLED = "/usr/local/bin/otelcol-switchyard";

/**
 * A real OpenTelemetry Collector (core components, built by
 * .ci/setup.d/50-otel-collector.sh): an OTLP/HTTP receiver on `endpoint`
 * whose traces the collector re-exports as OTLP/JSON to `sinkUrl`.
 */
export async function startOtelCollector(sinkUrl: string): Promise<RunningService> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-otelcol-"));
  const service = await onFreePort(async (port) => {
    const config = path.join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        "receivers:",
        "  otlp:",
        "    protocols:",
        "      http:",
        `        endpoint: 127.0.0.1:${port}`,
        "exporters:",
        "  otlphttp:",
        `    endpoint: ${sinkUrl}`,
        "    encoding: json",
        "    compression: none",
        "    sending_queue:",
        "      enabled: false",
        "service:",
        "  telemetry:",
        "    logs:",
        "      level: warn",
        "    metrics:",
        "      level: none",
        "  pipelines:",
        "    traces:",
        "      receivers: [otlp]",
        "      exporters: [otlphttp]",
        "",
      ].join("\n"),
    );
    return spawnService({
      name: "otelcol-switchyard",
      command: process.env.OTELCOL ?? (existsSync(INSTALLED) ? INSTALLED : "otelcol-switchyard"),
      args: [`--config=${config}`],
      port,
      installHint: "bash .ci/setup.d/50-otel-collector.sh (builds the collector core with ocb from the Go module proxy)",
    });
  });
  return {
    ...service,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
