import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import { ErrorKind, GatewayError } from "../../errors/gateway-error.js";

export interface AwsCredentialParams {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/**
 * Credentials from the deployment's params, else the standard AWS
 * environment variables, read at signing time so rotated session
 * credentials in the environment are picked up.
 */
export function credentialsFrom(params: AwsCredentialParams, env: NodeJS.ProcessEnv = process.env): () => Promise<AwsCredentialIdentity> {
  return async () => {
    const accessKeyId = params.accessKeyId || env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = params.secretAccessKey || env.AWS_SECRET_ACCESS_KEY;
    const sessionToken = params.accessKeyId ? params.sessionToken : params.sessionToken || env.AWS_SESSION_TOKEN;
    if (!accessKeyId || !secretAccessKey) {
      throw new GatewayError(ErrorKind.AUTHENTICATION, "bedrock: no AWS credentials (set params.aws_access_key_id/aws_secret_access_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)", {
        provider: "bedrock",
      });
    }
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };
}

/** Headers SigV4 computes or covers by itself: the signer's to set, never a configured header's. */
export const SIGV4_HEADERS = ["host", "authorization", "date", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

export interface SignableRequest {
  url: URL;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/**
 * AWS Signature Version 4 for the "bedrock" service, with the signer the
 * AWS SDK itself uses (one instance per deployment: it caches signing keys).
 */
export class BedrockSigner {
  private readonly signer: SignatureV4;

  constructor(region: string, credentials: () => Promise<AwsCredentialIdentity>) {
    this.signer = new SignatureV4({ service: "bedrock", region, credentials, sha256: Sha256 });
  }

  /** Returns the headers to send: the given ones plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token and authorization. */
  async sign(request: SignableRequest, signingDate: Date): Promise<Record<string, string>> {
    const signed = await this.signer.sign(
      {
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        port: request.url.port ? Number(request.url.port) : undefined,
        path: request.url.pathname,
        query: {},
        headers: { ...request.headers, host: request.url.host },
        body: request.body,
      },
      { signingDate },
    );
    return signed.headers as Record<string, string>;
  }
}
