// Gateway test world: the real token issuer (msal-node gets real tokens from it) and a small
// scripted HTTPS "Graph" that verifies each bearer token and answers what the test says.

import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type GraphTokenClaims, TokenVerificationError } from '../../src/devtenant/token-issuer.ts';
import {
  createGraphClientFactory,
  type GatewayGraphClientFactory,
} from '../../src/graph/graph-client-factory.ts';
import type { GraphGatewayOptions } from '../../src/graph/graph-gateway-options.ts';
import { createLogger } from '../../src/log.ts';
import { type IssuerFixture, startIssuerFixture } from '../issuer/issuer-fixture.ts';

export { TENANT_A, TENANT_B } from '../issuer/issuer-fixture.ts';

export interface RecordedRequest {
  method: string;
  /** The request target exactly as received (path + raw query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  claims: GraphTokenClaims;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  | 'reset';

export class ScriptedGraph {
  url = '';
  readonly requests: RecordedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  handler: (req: RecordedRequest) => Reply | Promise<Reply> = () => ({ status: 200, body: {} });
  private readonly server: https.Server;

  constructor(
    tls: { key: string; cert: string },
    private readonly fx: IssuerFixture,
  ) {
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  get graphBaseUrl(): string {
    return `${this.url}/v1.0`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const auth = req.headers.authorization ?? '';
    let claims: GraphTokenClaims;
    try {
      claims = await this.fx.issuer.verifyGraphToken(auth.replace(/^Bearer /, ''));
    } catch (err) {
      const reason = err instanceof TokenVerificationError ? err.message : 'bad token';
      return send(res, { status: 401, body: graphErrorBody('InvalidAuthenticationToken', reason) });
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      claims,
    };
    this.requests.push(recorded);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const reply = await this.handler(recorded);
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      send(res, reply);
    } finally {
      this.inFlight--;
    }
  }
}

function send(res: ServerResponse, reply: Exclude<Reply, 'reset'>): void {
  const headers: Record<string, string> = { 'request-id': 'rid-header', ...(reply.headers ?? {}) };
  if (reply.body !== undefined) headers['content-type'] = 'application/json';
  res.writeHead(reply.status, headers);
  res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
}

export function graphErrorBody(
  code: string,
  message: string,
  requestId = '7b1a2c3d-0000-4000-8000-000000000001',
) {
  return {
    error: {
      code,
      message,
      innerError: { date: '2026-01-01T00:00:00', 'request-id': requestId, 'client-request-id': requestId },
    },
  };
}

export interface GatewayEnv {
  fx: IssuerFixture;
  graph: ScriptedGraph;
  sleeps: number[];
  factory(overrides?: Partial<GraphGatewayOptions>): GatewayGraphClientFactory;
  stop(): Promise<void>;
}

export async function startGatewayEnv(): Promise<GatewayEnv> {
  const fx = await startIssuerFixture();
  const graph = new ScriptedGraph(fx.tls, fx);
  await graph.start();
  const sleeps: number[] = [];
  const factories: GatewayGraphClientFactory[] = [];
  return {
    fx,
    graph,
    sleeps,
    factory: (overrides = {}) => {
      const factory = createGraphClientFactory({
        graphBaseUrl: graph.graphBaseUrl,
        authorityHost: fx.issuer.url,
        backup: fx.backup,
        restore: fx.restore,
        caPem: fx.tls.caPem,
        maxAttempts: 3,
        concurrency: 4,
        logger: createLogger('silent'),
        // Recorded, not slept: the tests check what the gateway waited.
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        ...overrides,
      });
      factories.push(factory);
      return factory;
    },
    stop: async () => {
      for (const f of factories) f.close();
      await graph.stop();
      await fx.stop();
    },
  };
}
