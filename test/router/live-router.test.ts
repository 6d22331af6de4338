import { describe, expect, it } from "vitest";
import { mockProvider } from "../../src/providers/mock/index.js";
import { builtinProviders } from "../../src/providers/registry.js";
import { DeploymentRuntime } from "../../src/router/deployment-runtime.js";
import { LiveRouter } from "../../src/router/live-router.js";
import { Router } from "../../src/router/router.js";
import { MemoryStateStore } from "../../src/router/state/index.js";
import { FakeClock } from "../support/fake-clock.js";
import { chat, ctx, mockDeployment, resolved } from "./support.js";

/** Routers over a provider whose mock adapters count their health probes (one-token completions) and report their close. */
function setup() {
  const clock = new FakeClock();
  const store = new MemoryStateStore(clock);
  const probes = new Map<string, number>();
  const closed: string[] = [];
  const providers = builtinProviders().register({
    ...mockProvider,
    create(deployment, deps) {
      const adapter = mockProvider.create(deployment, deps);
      const complete = adapter.complete!.bind(adapter);
      return Object.assign(adapter, {
        complete: (request: Parameters<typeof complete>[0], context: Parameters<typeof complete>[1]) => {
          if (request.maxTokens === 1) probes.set(deployment.id, (probes.get(deployment.id) ?? 0) + 1);
          return complete(request, context);
        },
        close: async () => void closed.push(deployment.id),
      });
    },
  });
  const routerFor = (ids: string[]) => {
    const config = resolved({
      model_list: ids.map((id) => mockDeployment("g", id)),
      router_settings: { health_check: { enabled: true, interval_ms: 1_000, timeout_ms: 500 } },
    });
    return new Router(new DeploymentRuntime(config, providers, { clock }), { clock, store });
  };
  return { clock, probes, closed, routerFor };
}

describe("LiveRouter", () => {
  it("runs health checks between start() and close(), on the current router only", async () => {
    const { clock, probes, closed, routerFor } = setup();
    const live = new LiveRouter(routerFor(["old"]));
    await clock.advance(5_000);
    expect(probes.size).toBe(0); // constructed, not started
    expect(clock.pending).toBe(0);

    live.start();
    await clock.advance(0);
    expect(probes.get("old")).toBe(1);

    live.swap(routerFor(["new"]));
    await clock.advance(0);
    expect(probes.get("new")).toBe(1); // the router swapped in starts because the live router is running
    expect(closed).toEqual(["old"]); // nothing was in flight on the old one: stopped and closed at once
    await clock.advance(3_000);
    expect(probes.get("old")).toBe(1);
    expect(probes.get("new")).toBe(4);

    await live.close();
    expect(closed).toEqual(["old", "new"]);
    expect(clock.pending).toBe(0);
  });

  it("does not start a router swapped in before start()", async () => {
    const { clock, probes, routerFor } = setup();
    const live = new LiveRouter(routerFor(["old"]));
    live.swap(routerFor(["new"]));
    await clock.advance(5_000);
    expect(probes.size).toBe(0);
    expect((await live.complete(chat("g"), ctx())).deploymentId).toBe("new");
    await live.close();
  });
});
