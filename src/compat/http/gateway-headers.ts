/** Gateway facts every answer carries as headers (which deployment answered, cost, cache). */
export function gatewayHeaders(r: { modelGroup: string; deploymentId: string; provider: string; costUsd: number; cache?: { hit: boolean } }): Record<string, string> {
  return {
    "x-switchyard-model-group": r.modelGroup,
    "x-switchyard-deployment": r.deploymentId,
    "x-switchyard-provider": r.provider,
    "x-switchyard-cost-usd": String(r.costUsd),
    "x-switchyard-cache": r.cache?.hit ? "hit" : "miss",
  };
}
