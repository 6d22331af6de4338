import http from "node:http";

// Connect JSON calls that each open their own TCP connection, so calls to a
// multi-worker gateway spread over its workers (SO_REUSEPORT balances
// connections, not requests).

/** One Connect JSON call on a fresh connection. */
export function call(port: number, method: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: `/switchyard.v1.${method}`, agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

export const complete = (port: number, model: string, content = "hi") => call(port, "InferenceService/Complete", { model, messages: [{ role: "user", content }] });

export async function inFlight(port: number): Promise<number> {
  const { json } = await call(port, "AdminService/GetRouterState", {});
  return json.deployments[0].inFlight ?? 0;
}

export async function eventually(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

