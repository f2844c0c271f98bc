// A scale-out deployment on loopback, as in Azure but on one machine: one Cosmos-protocol server
// (the store every role shares), one web role that also owns the dev tenant (its Graph simulator
// and token issuer on fixed free ports; the workers reuse it through DATA_DIR/devtenant), any
// number of worker roles, and a local Bot Connector that records the cards the web role posts.
// Every process is the real `entra-backup serve --role …`, started in plain node from one esbuild
// bundle of the CLI (./role-bundle.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchTrusting } from '../../bot/bot-routes.ts';
import type { FetchLike } from '../../src/auth/fetch-like.ts';
import { loadOrCreateLoopbackCert } from '../../src/devtenant/tls.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { type CosmosTestServer, startCosmosServer } from '../helpers/cosmos-server.ts';
import { type LocalConnector, startLocalConnector } from '../helpers/local-connector.ts';
import { bundleRoles } from './role-bundle.ts';
import { type RoleProcess, startRoleProcess } from './role-process.ts';

export interface ClusterOptions {
  tenants: number;
  usersPerTenant: number;
  /** Extra environment for every role (LEASE_SECONDS, WORKER_POLL_SECONDS, …). */
  env?: Record<string, string>;
  /** A Cosmos-protocol server to use (default: a fresh one, stopped with the cluster). */
  cosmos?: CosmosTestServer;
}

export interface Cluster {
  dataDir: string;
  cosmos: CosmosTestServer;
  connector: LocalConnector;
  /** The test's own client of the shared store (same database as the roles). */
  store: Store;
  web: RoleProcess;
  webUrl: string;
  /** The dev tenant's Graph server (its /_dev control API included). */
  graphUrl: string;
  /** A call to the dev tenant's control API (`/_dev/…`; GET unless `method`), trusting its loopback certificate. */
  devControl<T>(pathAndQuery: string, method?: 'GET' | 'PATCH', body?: unknown): Promise<T>;
  workers: RoleProcess[];
  /** Starts a worker role with WORKER_ID = id; resolves once it is running. */
  startWorker(id: string): Promise<RoleProcess>;
  close(): Promise<void>;
}

/** A port free right now on loopback (the roles need fixed ports they can share). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const RUNNING = (line: string) => line.startsWith('Entra Backup for Teams is running');
/** Extra node options for every role, e.g. SCALE_ROLE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'. */
const nodeArgs = (process.env.SCALE_ROLE_NODE_ARGS ?? '').split(' ').filter(Boolean);

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-scale-'));
  const closers: (() => Promise<void>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
  };
  try {
    const [bundle, cosmos, connector] = await Promise.all([
      bundleRoles(),
      options.cosmos ?? startCosmosServer(),
      startLocalConnector(),
    ]);
    closers.push(() => bundle.remove());
    if (!options.cosmos) closers.push(() => cosmos.stop());
    closers.push(() => connector.stop());
    // The roles trust the Cosmos server's certificate the way Node lets a process add a CA at start.
    const caFile = path.join(dataDir, 'cosmos-ca.pem');
    await writeFile(caFile, cosmos.caPem);
    const [port, graphPort, loginPort] = [await freePort(), await freePort(), await freePort()];
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      NODE_EXTRA_CA_CERTS: caFile,
      LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? 'warn',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'scale-out',
      DEV_TENANT_GRAPH_PORT: String(graphPort),
      DEV_TENANT_LOGIN_PORT: String(loginPort),
      DEV_TENANT_USERS: String(options.usersPerTenant),
      DEV_TENANT_TENANTS: String(options.tenants),
      DEV_TENANT_SEED: 'scale-out',
      BACKUP_CLIENT_ID: '',
      ...options.env,
    };

    const web = startRoleProcess({
      name: 'web',
      command: [process.execPath, ...nodeArgs, bundle.file],
      args: ['serve', '--role', 'web'],
      env: { ...env, PORT: String(port) },
    });
    closers.push(() => web.stop());
    await web.waitForLine(RUNNING, 90_000);

    const store = await openStore({
      dataDir,
      cosmos: {
        endpoint: cosmos.endpoint,
        key: cosmos.key,
        database: env.COSMOS_DATABASE,
        caPem: cosmos.caPem,
      },
    });
    closers.push(() => store.close());

    // The dev tenant's certificate, written by the web role under DATA_DIR/devtenant.
    const devFetch: FetchLike = fetchTrusting(
      (await loadOrCreateLoopbackCert(path.join(dataDir, 'devtenant'))).caPem,
    );
    const graphUrl = `https://127.0.0.1:${graphPort}`;
    const devControl = async <T>(pathAndQuery: string, method = 'GET', body?: unknown): Promise<T> => {
      const response = await devFetch(`${graphUrl}${pathAndQuery}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`dev tenant ${method} ${pathAndQuery} answered ${response.status}`);
      return (await response.json()) as T;
    };

    const workers: RoleProcess[] = [];
    const startWorker = async (id: string) => {
      const worker = startRoleProcess({
        name: id,
        command: [process.execPath, ...nodeArgs, bundle.file],
        args: ['serve', '--role', 'worker'],
        env: { ...env, WORKER_ID: id, PORT: '0' },
      });
      workers.push(worker);
      closers.push(() => worker.stop());
      await worker.waitForLine(RUNNING, 60_000);
      return worker;
    };

    return {
      dataDir,
      cosmos,
      connector,
      store,
      web,
      webUrl: `http://127.0.0.1:${port}`,
      graphUrl,
      devControl,
      workers,
      startWorker,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
