// A keep-alive socket the server has closed while it sat idle is reset when the next request is
// written to it: that request never reached the server, so the transport sends it again on a
// fresh socket, POSTs included ($batch restores failed this way at 100,000 users). A reset on a
// fresh socket may have reached the server: it is reported, never resent.
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsAgent, httpsRequest } from '../../src/graph/https-fetch.ts';

let server: https.Server;
let base = '';
let caPem = '';
/** What the server does with a request: by position on its socket. */
let drop: (nthOnSocket: number) => boolean = () => false;
let handled = 0;
const perSocket = new WeakMap<Socket, number>();

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  caPem = pems.cert;
  server = https.createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (drop(n)) {
      req.socket.destroy();
      return;
    }
    handled++;
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ n })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (agent: https.Agent) =>
  httpsRequest(`${base}/$batch`, { method: 'POST', body: '{"requests":[]}' }, agent);

describe('Graph transport and stale keep-alive sockets', () => {
  it('sends a POST again on a fresh socket when its reused socket was reset', async () => {
    const agent = createHttpsAgent(caPem);
    drop = (n) => n > 1; // the server has "closed" every connection after its first request
    handled = 0;
    expect((await post(agent)).status).toBe(200);
    const second = await post(agent);
    expect(second.status).toBe(200);
    expect(JSON.parse(second.body.toString())).toEqual({ n: 1 }); // served as a fresh socket's first
    expect(handled).toBe(2);
    agent.destroy();
  });

  it('reports a reset on a fresh socket without sending the request again', async () => {
    const agent = createHttpsAgent(caPem);
    drop = () => true;
    handled = 0;
    await expect(post(agent)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(handled).toBe(0);
    agent.destroy();
  });
});
