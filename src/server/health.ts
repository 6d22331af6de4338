import { create } from "@bufbuild/protobuf";
import { shown } from "../util/cap.js";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthListResponseSchema,
} from "../../gen/ts/grpc/health/v1/health_pb.js";

export { ServingStatus };

/** Serving status per service name ("" is the server as a whole), with change notification for Watch. */
export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<() => void>();

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const notify of [...this.listeners]) notify();
  }

  /** True once shutdown began; Watch streams end after telling clients. */
  closed = false;

  /** Marks every known service (and the server) NOT_SERVING: the first step of shutdown. */
  setAllNotServing(): void {
    this.closed = true;
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  all(): ReadonlyMap<string, ServingStatus> {
    return this.statuses;
  }

  /** Resolves on the next change, or when the signal aborts. */
  nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.listeners.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export function healthService(health: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = health.get(request.service);
      if (status === undefined) throw new ConnectError(`unknown service ${shown(request.service)}`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status });
    },
    list() {
      const statuses = Object.fromEntries([...health.all()].map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]));
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(request, context) {
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const status = health.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield create(HealthCheckResponseSchema, { status });
        }
        // A watch is long-lived by design; it must not hold up shutdown once clients were told.
        if (health.closed) return;
        await health.nextChange(context.signal);
      }
    },
  };
}
