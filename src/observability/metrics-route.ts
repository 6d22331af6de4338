import { writeHead, type HttpRoute } from "../server/http-routes.js";
import type { Logger } from "./logger.js";
import type { GatewayMetrics } from "./metrics.js";

/** GET /metrics: the Prometheus text exposition (prom-client's, not hand-written). */
export function metricsRoute(metrics: GatewayMetrics, logger: Logger): HttpRoute {
  return {
    method: "GET",
    path: "/metrics",
    handle: (_req, res) =>
      metrics.exposition().then(
        (body) => {
          writeHead(res, 200, { "content-type": metrics.contentType });
          res.end(body);
        },
        (err: unknown) => {
          logger.error({ err }, "metrics collection failed");
          writeHead(res, 500, { "content-type": "text/plain" });
          res.end("metrics collection failed\n");
        },
      ),
  };
}
