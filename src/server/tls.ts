import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import type { TlsSettings } from "../../gen/ts/switchyard/v1/config_pb.js";

/**
 * server_settings.tls as node:tls options: ALPN offers h2 (gRPC, Connect
 * over HTTP/2) and http/1.1 (Connect JSON, gRPC-Web); with client_ca_file,
 * clients must present a certificate that CA signed, or the handshake fails.
 */
export function tlsOptions(settings: TlsSettings | undefined): TlsOptions | undefined {
  if (!settings?.certFile) return undefined;
  const mutual = settings.clientCaFile !== "";
  return {
    cert: readFileSync(settings.certFile),
    key: readFileSync(settings.keyFile),
    ALPNProtocols: ["h2", "http/1.1"],
    ...(mutual ? { ca: readFileSync(settings.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
  };
}
