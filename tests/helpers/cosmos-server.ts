// Starts the Cosmos-protocol test server (@vercel/cosmosdb-server) on 127.0.0.1 with a fresh
// self-signed certificate. Clients trust that certificate through their own agent (`caPem`):
// TLS verification is never relaxed process-wide.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import './cosmos-partition-index.ts';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { generate } from 'selfsigned';

export interface CosmosTestServer {
  endpoint: string;
  /** Any key works on the test server; real clients sign requests with it all the same. */
  key: string;
  /** The server certificate, to trust in the client's agent. */
  caPem: string;
  /** An HTTPS agent trusting only this server's certificate. */
  agent: https.Agent;
  stop(): Promise<void>;
}

export async function startCosmosServer(): Promise<CosmosTestServer> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const server = createHttpsServer({ cert: pems.cert, key: pems.private, keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agent = new https.Agent({ ca: pems.cert, keepAlive: true });
  return {
    endpoint: `https://127.0.0.1:${port}`,
    key: Buffer.from('cosmos-test-server-key').toString('base64'),
    caPem: pems.cert,
    agent,
    stop: async () => {
      agent.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
