// A second `npm start` (or `npm run playground` beside a running `npm start`) finds PORT taken:
// the error names the variable and what to do, not a bare EADDRINUSE.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer, listen } from '../../src/server/http-server.ts';
import { type ServeHandle, serve } from '../../src/server/serve.ts';

describe('web server port already in use', () => {
  let handle: ServeHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-port-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      DEV_TENANT_GRAPH_PORT: '0',
      DEV_TENANT_LOGIN_PORT: '0',
      DEV_TENANT_USERS: '10',
      LOG_LEVEL: 'silent',
      SCHEDULER_ENABLED: 'false',
    });
    handle = await serve(config, 'all');
  });

  afterAll(async () => {
    await handle?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says PORT is taken and how to go on', async () => {
    const port = Number(new URL(handle.url ?? '').port);
    const second = await createHttpServer(handle.runtime, []);
    const attempt = listen(second, port, '127.0.0.1');
    await expect(attempt).rejects.toThrow(`PORT ${port} on 127.0.0.1 is already in use`);
    await expect(attempt).rejects.toThrow(/set PORT to a free port/);
  }, 30_000);
});
