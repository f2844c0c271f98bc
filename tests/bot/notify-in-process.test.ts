// The single-process product (`npm start`, role all): a backup run finished by the worker in the
// same process posts its result card from the in-process 'run.finished' event, within a second,
// while the store poll (NOTIFY_POLL_SECONDS, here an hour) is only for runs other processes end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBackup } from '../../src/backup/request-backup.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { type ServeHandle, serve } from '../../src/server/serve.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { type LocalConnector, startLocalConnector } from '../helpers/local-connector.ts';
import { cardText } from './bot-world.ts';

let handle: ServeHandle;
let connector: LocalConnector;
let dataDir: string;
let tenantId: string;
const channel = '19:alerts@thread.tacv2';

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-notify-'));
  connector = await startLocalConnector();
  handle = await serve(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      PORT: '0',
      DEV_TENANT_GRAPH_PORT: '0',
      DEV_TENANT_LOGIN_PORT: '0',
      DEV_TENANT_USERS: '15',
      LOG_LEVEL: 'silent',
      SCHEDULER_ENABLED: 'false',
      WORKER_POLL_SECONDS: '0.1',
      NOTIFY_POLL_SECONDS: '3600',
    }),
    'all',
  );
  tenantId = handle.runtime.devTenant?.tenantIds[0] ?? '';
  // Installed in a team channel (loopback, no BOT_APP_ID: the local development mode).
  const admin = '00000000-0000-4000-8000-0000000000a1';
  const response = await fetch(`${handle.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'installationUpdate',
      action: 'add',
      id: 'install-1',
      channelId: 'msteams',
      serviceUrl: connector.serviceUrl,
      from: { id: '29:admin', aadObjectId: admin },
      recipient: { id: '28:entra-backup', name: 'Entra Backup' },
      conversation: { id: channel, conversationType: 'channel', isGroup: true, tenantId },
      channelData: { tenant: { id: tenantId }, team: { id: channel, name: 'IT' } },
    }),
  });
  expect(response.status).toBe(200);
  const settings = await ensureTenant(handle.runtime.store, tenantId, handle.runtime.now());
  expect(settings.alerts.channelConversationId).toBe(channel);
  await handle.runtime.store.putSettings(
    { ...settings, alerts: { ...settings.alerts, mode: 'every-run' } },
    settings.etag,
  );
}, 120_000);
afterAll(async () => {
  await handle?.close();
  await connector?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('run result cards in the single-process product', () => {
  it('a run finished by the in-process worker is posted within a second of finishing', async () => {
    const before = connector.calls.length;
    const run = await requestBackup(handle.runtime, tenantId, { kind: 'full', trigger: 'manual' });
    const call = await connector.waitFor(
      (c) =>
        connector.calls.indexOf(c) >= before &&
        c.method === 'POST' &&
        c.conversationId === channel &&
        /Backup succeeded/.test(cardText(c.activity)),
      30_000,
    );
    const finished = await handle.runtime.store.getRun(tenantId, run.runId);
    expect(finished?.status).toBe('succeeded');
    expect(finished?.notifiedAt).toBeDefined();
    const lagMs = call.at - Date.parse(String(finished?.finishedAt));
    expect(lagMs).toBeLessThan(1000);
  }, 60_000);
});

describe('NOTIFY_POLL_SECONDS', () => {
  it('defaults to 30 and refuses values outside 1..3600, naming the variable', () => {
    expect(loadConfig({}).NOTIFY_POLL_SECONDS).toBe(30);
    expect(loadConfig({ NOTIFY_POLL_SECONDS: '5' }).NOTIFY_POLL_SECONDS).toBe(5);
    for (const bad of ['0', 'soon', '7200'])
      expect(() => loadConfig({ NOTIFY_POLL_SECONDS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ NOTIFY_POLL_SECONDS: '0' })).toThrow(/NOTIFY_POLL_SECONDS/);
  });
});
