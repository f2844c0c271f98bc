// Chooses the store from configuration: Cosmos DB when an endpoint is given, else the SQLite
// file under the data directory. The returned store is initialised (tables/containers exist).
import https from 'node:https';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { SQLITE_FILE_NAME, SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** DATA_DIR: the SQLite file is `${dataDir}/entra-backup.db`. */
  dataDir: string;
  cosmos?: {
    endpoint: string;
    /** COSMOS_KEY; absent = managed identity (DefaultAzureCredential). */
    key?: string;
    database: string;
    /** PEM of a CA to trust for this client only (the local Cosmos-protocol test server). */
    caPem?: string;
    requestTimeoutMs?: number;
  };
  logger?: Logger;
  now?: () => Date;
  /** SQLite only: wait this long for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.cosmos ? await cosmosStore(options, options.cosmos) : sqliteStore(options);
  await store.init();
  return store;
}

function sqliteStore(options: OpenStoreOptions): Store {
  const file = path.resolve(options.dataDir, SQLITE_FILE_NAME);
  options.logger?.info({ store: 'sqlite', file }, 'store: SQLite');
  return new SqliteStore({ file, busyTimeoutMs: options.busyTimeoutMs, now: options.now });
}

async function cosmosStore(
  options: OpenStoreOptions,
  cosmos: NonNullable<OpenStoreOptions['cosmos']>,
): Promise<Store> {
  options.logger?.info(
    {
      store: 'cosmos',
      endpoint: cosmos.endpoint,
      database: cosmos.database,
      auth: cosmos.key ? 'key' : 'managed-identity',
    },
    'store: Cosmos DB',
  );
  // The CA is trusted by this client's agent only: TLS verification stays on everywhere else.
  const agent = cosmos.caPem ? new https.Agent({ ca: cosmos.caPem, keepAlive: true }) : undefined;
  // Loaded on demand: the Cosmos SDK takes seconds to import, and SQLite users never need it.
  const { CosmosStore } = await import('./cosmos-store.ts');
  if (cosmos.key) {
    return new CosmosStore({ ...cosmos, agent, now: options.now });
  }
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new CosmosStore({ ...cosmos, agent, credential: new DefaultAzureCredential(), now: options.now });
}
