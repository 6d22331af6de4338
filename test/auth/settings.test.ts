import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { configFromYaml } from "../support/gateway.js";
import { startLoggedInMemoryGateway } from "./support.js";

const base = { model_list: [{ model_name: "m", provider: "mock", params: { mock: {} } }] };

function problems(extra: Record<string, unknown>): string[] {
  try {
    configFromYaml(JSON.stringify({ ...base, ...extra }));
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe("validate-config on auth_settings and server_settings.tls", () => {
  it("accepts a long master key and no auth at all", () => {
    expect(problems({ auth_settings: { master_key: "a-long-enough-master-key" } })).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  it("reports a short master key, settings without a master key, an unwritable store and unreadable TLS files", () => {
    expect(problems({ auth_settings: { master_key: "short" } })).toEqual([expect.stringMatching(/^auth_settings\.master_key: must be at least 16/)]);
    expect(problems({ auth_settings: { store_file: "/tmp/k.json" } })).toEqual([expect.stringMatching(/^auth_settings\.master_key: is required/)]);
    expect(problems({ auth_settings: { master_key: "a-long-enough-master-key", store_file: "/no/such/dir/k.json" } })).toEqual([
      expect.stringMatching(/^auth_settings\.store_file: directory \/no\/such\/dir does not exist/),
    ]);
    expect(problems({ server_settings: { tls: { cert_file: "/no/cert.pem" } } })).toEqual([
      "server_settings.tls.key_file: is required with tls",
      "server_settings.tls.cert_file: cannot read /no/cert.pem",
    ]);
  });

  it("reports an unset os.environ master key", () => {
    delete process.env.SY_TEST_UNSET_MASTER;
    expect(problems({ auth_settings: { master_key: "os.environ/SY_TEST_UNSET_MASTER" } }).join("\n")).toContain("SY_TEST_UNSET_MASTER");
  });
});

describe("the warning when auth is off", () => {
  it("warns loudly at start when a real provider is configured without a master key, and not for mock-only configs", async () => {
    const real = JSON.stringify({
      model_list: [{ model_name: "gpt", provider: "openai", params: { model: "gpt-4o", api_key: "sk-test", api_base: "http://127.0.0.1:9" } }],
    });
    const withReal = await startLoggedInMemoryGateway(real);
    await withReal.gateway.close();
    expect(withReal.lines.join("")).toContain("AUTH IS OFF");
    const mockOnly = await startLoggedInMemoryGateway(JSON.stringify(base));
    await mockOnly.gateway.close();
    expect(mockOnly.lines.join("")).not.toContain("AUTH IS OFF");
  });
});
