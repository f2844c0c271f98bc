// Options of the Graph gateway. Only these differ between the real service and the dev tenant:
// base URL, authority host, app credentials, and the dev tenant's CA.
import type { Logger } from '../log.ts';

export interface GraphAppCredentials {
  clientId: string;
  clientSecret?: string;
  /** Certificate credential (PEM): the private key and the certificate registered on the app. */
  certificate?: { privateKeyPem: string; certificatePem: string };
}

export interface GraphGatewayOptions {
  /** Graph root including the version, e.g. https://graph.microsoft.com/v1.0 (HTTPS only). */
  graphBaseUrl: string;
  /** e.g. https://login.microsoftonline.com, or the dev tenant's token issuer. */
  authorityHost: string;
  backup: GraphAppCredentials;
  /** The write-capable restore app; when absent the backup app is used for restores too. */
  restore?: GraphAppCredentials;
  /** Extra CA to trust (the dev tenant's loopback certificate). */
  caPem?: string;
  /** Attempts per request (first try included) before giving up. */
  maxAttempts: number;
  /** Concurrent Graph requests per tenant. */
  concurrency: number;
  logger: Logger;
  /** Injectable for tests: how retries wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: jitter source in [0, 1). */
  random?: () => number;
  /** Scope of app tokens; Graph's `.default` unless told otherwise. */
  graphScope?: string;
  /** First backoff step when Graph sends no Retry-After (default 1 s), and the cap (default 60 s). */
  baseRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Per-attempt socket timeout (default 100 s, Graph's own gateway timeout). */
  requestTimeoutMs?: number;
}

export const DEFAULT_GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
