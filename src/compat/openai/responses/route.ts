import type { HttpRoute } from "../../../server/http-routes.js";
import type { CompatCall, CompatDeps } from "../../http/route.js";

type RouteMaker = (method: "GET" | "POST", path: string, handle: (call: CompatCall) => Promise<void>) => HttpRoute;

export function responsesRoute(deps: CompatDeps, route: RouteMaker): HttpRoute {
  void deps;
  return route("POST", "/v1/responses", async () => {
    throw new Error("not yet");
  });
}
