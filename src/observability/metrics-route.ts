import type { HttpRoute } from "../server/http-routes.js";
import type { Logger } from "./logger.js";
import type { GatewayMetrics } from "./metrics.js";

/** GET /metrics: the Prometheus text exposition (prom-client's, not hand-written). */
export function metricsRoute(metrics: GatewayMetrics, logger: Logger): HttpRoute {
  return (req, res) => {
    const url = req.url ?? "";
    if (req.method !== "GET" || !(url === "/metrics" || url.startsWith("/metrics?"))) return false;
    metrics.exposition().then(
      (body) => {
        res.writeHead(200, { "content-type": metrics.contentType });
        res.end(body);
      },
      (err: unknown) => {
        logger.error({ err }, "metrics collection failed");
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("metrics collection failed\n");
      },
    );
    return true;
  };
}
