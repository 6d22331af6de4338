import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { TimingsSchema, type Timings } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { RequestContext } from "./request-context.js";

/** Marks taken along one request, as performance.now() values. */
export interface TimingMarks {
  upstreamStart?: number;
  firstToken?: number;
  /** Total time spent waiting on upstreams across all attempts, ms. */
  upstreamMs: number;
}

export function buildTimings(ctx: RequestContext, marks: TimingMarks, completedAt = performance.now()): Timings {
  const offset = (t: number | undefined) => (t === undefined ? 0 : round(t - ctx.startedAt));
  const completedMs = round(completedAt - ctx.startedAt);
  return create(TimingsSchema, {
    receivedAt: timestampFromMs(ctx.receivedAtMs),
    upstreamStartMs: offset(marks.upstreamStart),
    firstTokenMs: offset(marks.firstToken),
    completedMs,
    gatewayOverheadMs: round(Math.max(0, completedMs - marks.upstreamMs)),
  });
}

/** Microsecond precision is plenty and keeps JSON readable. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
