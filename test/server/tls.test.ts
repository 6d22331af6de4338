import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceService } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { Gateway } from "../../src/server/gateway.js";
import { startTestGateway } from "../support/gateway.js";

/** Certificates made with openssl for this run: a CA, a server cert for 127.0.0.1 it signed, client certs from it and from a stranger CA. */
function makeCertificates(): Record<"ca" | "serverCert" | "serverKey" | "clientCert" | "clientKey" | "strangerCert" | "strangerKey", string> {
  const dir = mkdtempSync(path.join(tmpdir(), "sy-tls-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ca = (name: string) =>
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.pem`));
  const leaf = (name: string, caName: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), ext);
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`));
    openssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${caName}.pem`), "-CAkey", f(`${caName}.key`), "-CAcreateserial",
      "-days", "1", "-extfile", f(`${name}.ext`), "-out", f(`${name}.pem`));
  };
  ca("test-ca");
  ca("stranger-ca");
  leaf("server", "test-ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  leaf("client", "test-ca", "extendedKeyUsage=clientAuth\n");
  leaf("stranger", "stranger-ca", "extendedKeyUsage=clientAuth\n");
  return {
    ca: f("test-ca.pem"),
    serverCert: f("server.pem"),
    serverKey: f("server.key"),
    clientCert: f("client.pem"),
    clientKey: f("client.key"),
    strangerCert: f("stranger.pem"),
    strangerKey: f("stranger.key"),
  };
}

const definition = protoLoader.loadSync("switchyard/v1/inference.proto", {
  includeDirs: [path.resolve(import.meta.dirname, "../../proto")],
  keepCase: true,
  defaults: false,
});
const { InferenceService: GrpcJsInference } = (grpc.loadPackageDefinition(definition) as any).switchyard.v1 as {
  InferenceService: grpc.ServiceClientConstructor;
};

function grpcJsComplete(port: number, credentials: grpc.ChannelCredentials, authorization?: string): Promise<Record<string, any>> {
  // Node >= 24 refuses an IP address as the TLS server name (SNI), so the certificate's DNS name is checked instead.
  const client = new GrpcJsInference(`127.0.0.1:${port}`, credentials, {
    "grpc.ssl_target_name_override": "localhost",
  }) as grpc.Client & Record<string, Function>;
  const metadata = new grpc.Metadata();
  if (authorization) metadata.set("authorization", authorization);
  return new Promise<Record<string, any>>((resolve, reject) => {
    client.Complete!(
      { model: "mock", messages: [{ role: "user", content: "over tls" }] },
      metadata,
      { deadline: Date.now() + 5_000 },
      (err: grpc.ServiceError | null, res: Record<string, any>) => (err ? reject(err) : resolve(res)),
    );
  }).finally(() => client.close());
}

const certs = makeCertificates();
const read = (file: string) => readFileSync(file);
const mock = [{ model_name: "mock", provider: "mock", params: { mock: {} } }];

describe("server_settings.tls", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startTestGateway(
      JSON.stringify({ model_list: mock, server_settings: { tls: { cert_file: certs.serverCert, key_file: certs.serverKey } } }),
    );
  });
  afterAll(() => gateway.close(0));

  it("serves a real gRPC client (@grpc/grpc-js) over TLS", async () => {
    expect(gateway.url).toMatch(/^https:/);
    const answer = await grpcJsComplete(gateway.port, grpc.credentials.createSsl(read(certs.ca)));
    expect(answer.choices[0].message.content).toBe("This is a mock response to: over tls");
  });

  it("serves gRPC, Connect (HTTP/1.1 and HTTP/2) and gRPC-Web on the same TLS port", async () => {
    const nodeOptions = { ca: read(certs.ca) };
    const transports = [
      createGrpcTransport({ baseUrl: gateway.url, nodeOptions }),
      createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1", nodeOptions }),
      createConnectTransport({ baseUrl: gateway.url, httpVersion: "2", nodeOptions }),
      createGrpcWebTransport({ baseUrl: gateway.url, httpVersion: "1.1", nodeOptions }),
    ];
    for (const transport of transports) {
      const answer = await createClient(InferenceService, transport).complete({ model: "mock", messages: [{ role: "user", content: "tls" }] });
      expect(answer.choices[0]?.message?.content).toBe("This is a mock response to: tls");
    }
  });

  it("does not speak plaintext on the TLS port", async () => {
    await expect(grpcJsComplete(gateway.port, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

describe("server_settings.tls.client_ca_file (mTLS)", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startTestGateway(
      JSON.stringify({
        model_list: mock,
        server_settings: { tls: { cert_file: certs.serverCert, key_file: certs.serverKey, client_ca_file: certs.ca } },
      }),
    );
  });
  afterAll(() => gateway.close(0));

  it("serves a client presenting a certificate the CA signed", async () => {
    const answer = await grpcJsComplete(gateway.port, grpc.credentials.createSsl(read(certs.ca), read(certs.clientKey), read(certs.clientCert)));
    expect(answer.choices[0].message.content).toContain("over tls");
    const connect = createConnectTransport({
      baseUrl: gateway.url,
      httpVersion: "1.1",
      nodeOptions: { ca: read(certs.ca), cert: read(certs.clientCert), key: read(certs.clientKey) },
    });
    await createClient(InferenceService, connect).complete({ model: "mock", messages: [{ role: "user", content: "mtls" }] });
  });

  it("rejects a client without a certificate, or with one from another CA", async () => {
    await expect(grpcJsComplete(gateway.port, grpc.credentials.createSsl(read(certs.ca)))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    await expect(
      grpcJsComplete(gateway.port, grpc.credentials.createSsl(read(certs.ca), read(certs.strangerKey), read(certs.strangerCert))),
    ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const connect = createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1", nodeOptions: { ca: read(certs.ca) } });
    await expect(createClient(InferenceService, connect).complete({ model: "mock", messages: [] })).rejects.toThrow();
  });
});

describe("TLS with a master key", () => {
  it("takes the key from gRPC metadata over TLS and refuses a call without it", async () => {
    const master = "tls-master-key-0123456789";
    const gateway = await startTestGateway(
      JSON.stringify({
        model_list: mock,
        server_settings: { tls: { cert_file: certs.serverCert, key_file: certs.serverKey } },
        auth_settings: { master_key: master, store_file: path.join(mkdtempSync(path.join(tmpdir(), "sy-tls-keys-")), "keys.json") },
      }),
    );
    try {
      const credentials = () => grpc.credentials.createSsl(read(certs.ca));
      await expect(grpcJsComplete(gateway.port, credentials())).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const answer = await grpcJsComplete(gateway.port, credentials(), `Bearer ${master}`);
      expect(answer.choices[0].message.content).toContain("over tls");
    } finally {
      await gateway.close(0);
    }
  });
});
