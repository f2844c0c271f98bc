// The product as `npm start` runs it (`serve`, dev tenant, SQLite) in a temporary DATA_DIR on
// ephemeral ports, for the foundation tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { type ServeHandle, serve } from '../../src/server/serve.ts';

export interface ServedProduct {
  handle: ServeHandle;
  close(): Promise<void>;
}

export async function startServedProduct(options: {
  role: 'all' | 'worker';
  users: number;
  prefix: string;
}): Promise<ServedProduct> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `entra-backup-${options.prefix}-`));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    DEV_TENANT_GRAPH_PORT: '0',
    DEV_TENANT_LOGIN_PORT: '0',
    DEV_TENANT_USERS: String(options.users),
    LOG_LEVEL: 'silent',
    SCHEDULER_ENABLED: 'false',
  });
  const handle = await serve(config, options.role);
  return {
    handle,
    close: async () => {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
