// `npm run playground`: the product (role all: dev tenant, store, worker, bot in its
// loopback-only anonymous mode) and Microsoft 365 Agents Playground in front of it, offline.
// The Playground's mocked Teams user is an admin of the dev tenant, so you can chat with the bot
// at http://127.0.0.1:56150 — try `restore user <part of a UPN>`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { type ServeHandle, serve } from '../src/server/serve.ts';
import { DEFAULT_ADMIN_ROLE_TEMPLATE_IDS } from '../src/settings/tenant-settings.ts';

export interface PlaygroundUser {
  id: string;
  name: string;
  aadObjectId: string;
  upn: string;
}

export interface PlaygroundHandle {
  productUrl: string;
  playgroundUrl: string;
  tenantId: string;
  /** The mocked current user (an admin), a second admin, and a user who is not an admin. */
  users: {
    current: PlaygroundUser;
    secondAdmin: PlaygroundUser;
    nonAdmin: PlaygroundUser;
    others: PlaygroundUser[];
  };
  product: ServeHandle;
  stop(): Promise<void>;
}

export interface PlaygroundOptions {
  env?: NodeJS.ProcessEnv;
  /** Port of the Playground UI (default 56150; 0 = any free port). */
  playgroundPort?: number;
  /** Echo the Playground's output. */
  verbose?: boolean;
}

// The Playground listens on every interface; this preload binds its servers to loopback.
const LOOPBACK_PRELOAD = `data:text/javascript,${encodeURIComponent(`
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || typeof args[0] === 'string' && /^\\d+$/.test(args[0])) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
`)}`;

function yamlUser(u: PlaygroundUser, indent: string): string {
  const [given, ...rest] = u.name.split(' ');
  return [
    `${indent}id: ${JSON.stringify(u.id)}`,
    `${indent}name: ${JSON.stringify(u.name)}`,
    `${indent}userPrincipleName: ${JSON.stringify(u.upn)}`,
    `${indent}aadObjectId: ${JSON.stringify(u.aadObjectId)}`,
    `${indent}givenName: ${JSON.stringify(given)}`,
    `${indent}surname: ${JSON.stringify(rest.join(' ') || given)}`,
    `${indent}email: ${JSON.stringify(u.upn)}`,
  ].join('\n');
}

/** The mocked users: two admins (any of the product's default admin roles, so deleting one
 * Global Administrator in a demo does not stop the next start) and plain users. */
export async function pickUsers(product: ServeHandle, tenantId: string): Promise<PlaygroundHandle['users']> {
  const graph = product.runtime.graph.forBackup(tenantId);
  const admins: string[] = [];
  for (const roleId of DEFAULT_ADMIN_ROLE_TEMPLATE_IDS) {
    const page = await graph.get<{ value: { principalId: string }[] }>(
      `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`roleDefinitionId eq '${roleId}'`)}`,
    );
    for (const a of page.value) if (!admins.includes(a.principalId)) admins.push(a.principalId);
  }
  const users = await graph.get<{ value: { id: string; displayName: string; userPrincipalName: string }[] }>(
    '/users?$top=50&$select=id,displayName,userPrincipalName',
  );
  const adminUsers = await Promise.all(
    admins
      .slice(0, 2)
      .map((id) =>
        graph.get<{ id: string; displayName: string; userPrincipalName: string }>(
          `/users/${id}?$select=id,displayName,userPrincipalName`,
        ),
      ),
  );
  const plainUsers = users.value.filter(
    (u) => !admins.includes(u.id) && !u.userPrincipalName.includes('#EXT#'),
  );
  const plain = plainUsers[0];
  if (adminUsers.length < 2 || plainUsers.length < 4)
    throw new Error(
      `playground: the dev tenant has ${adminUsers.length} admin(s) and ${plainUsers.length} other user(s); it needs 2 admins and 4 others to mock. Bring a deleted admin back (npx entra-backup devtenant mutate restore user <upn>) or reseed (npx entra-backup devtenant seed).`,
    );
  const asUser = (
    u: { id: string; displayName: string; userPrincipalName: string },
    id: string,
  ): PlaygroundUser => ({
    id,
    name: u.displayName,
    aadObjectId: u.id,
    upn: u.userPrincipalName,
  });
  return {
    current: asUser(adminUsers[0], 'user-admin-1'),
    secondAdmin: asUser(adminUsers[1], 'user-admin-2'),
    nonAdmin: asUser(plain, 'user-3'),
    // The Playground wants at least five other users in its team.
    others: plainUsers.slice(1, 4).map((u, i) => asUser(u, `user-${4 + i}`)),
  };
}

function writePlaygroundConfig(dir: string, tenantId: string, users: PlaygroundHandle['users']): void {
  mkdirSync(dir, { recursive: true });
  const yaml = `version: "0.1.1"
tenantId: ${tenantId}
bot:
  id: 00000000-0000-0000-0000-00000000000b
  name: Entra Backup
currentUser:
${yamlUser(users.current, '  ')}
users:
  - ${yamlUser(users.secondAdmin, '    ').trimStart()}
${[users.nonAdmin, ...users.others].map((u) => `  - ${yamlUser(u, '    ').trimStart()}`).join('\n')}
personalChat:
  id: personal-chat-entra-backup
groupChat:
  id: group-chat-entra-backup
  name: IT admins chat
team:
  id: team-entra-backup
  name: IT Admins
  aadGroupId: 00000000-0000-4000-8000-0000000000aa
  channels:
    - id: channel-restores
      name: Restores
`;
  writeFileSync(path.join(dir, '.m365agentsplayground.yml'), yaml);
}

function startPlaygroundProcess(
  botEndpoint: string,
  dir: string,
  port: number,
  verbose: boolean,
): Promise<{ child: ChildProcess; port: number }> {
  const require = createRequire(import.meta.url);
  const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
  const child = spawn(
    process.execPath,
    [
      '--import',
      LOOPBACK_PRELOAD,
      cli,
      '-e',
      botEndpoint,
      '-c',
      'msteams',
      '-p',
      String(port),
      '--disable-telemetry',
    ],
    {
      cwd: dir,
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', SEND_INSTALLATION_ACTIVITY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(
      () => reject(new Error(`Agents Playground did not start within 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (verbose) process.stdout.write(`[playground] ${text}`);
      const match = /Listening on (?:port )?(\d+)/i.exec(output);
      if (match && !ready) {
        ready = true;
        // It reads its config after listening: ready once its UI answers and it is still alive.
        waitForHttp(Number(match[1]), child).then(
          () => {
            clearTimeout(timer);
            resolve({ child, port: Number(match[1]) });
          },
          (error: Error) => reject(new Error(`${error.message}\n${output.slice(-2000)}`)),
        );
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Agents Playground exited (${code}):\n${output.slice(-2000)}`));
    });
  });
}

async function waitForHttp(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (child.exitCode !== null) throw new Error(`Agents Playground exited (${child.exitCode})`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok && i >= 3 && child.exitCode === null) return;
  }
  throw new Error('Agents Playground did not answer on its port');
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<PlaygroundHandle> {
  const env = { ...(options.env ?? process.env) };
  // The Playground sends activities without a token: the bot must be in its loopback-only mode.
  delete env.BOT_APP_ID;
  delete env.BOT_APP_PASSWORD;
  delete env.BOT_CERT_PATH;
  const config = loadConfig({
    ...env,
    HOST: '127.0.0.1',
    NODE_ENV: env.NODE_ENV === 'production' ? 'development' : env.NODE_ENV,
  });
  const product = await serve(config, 'all');
  try {
    const tenantId = product.runtime.devTenant?.tenantIds[0];
    if (!tenantId || !product.url) throw new Error('playground: the product has no dev tenant or web role');
    const users = await pickUsers(product, tenantId);
    const dir = path.resolve(config.DATA_DIR, 'playground');
    writePlaygroundConfig(dir, tenantId, users);
    const productUrl = product.url.replace('localhost', '127.0.0.1');
    const { child, port } = await startPlaygroundProcess(
      `${productUrl}/api/messages`,
      dir,
      options.playgroundPort ?? 56150,
      Boolean(options.verbose),
    );
    return {
      productUrl,
      playgroundUrl: `http://127.0.0.1:${port}`,
      tenantId,
      users,
      product,
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
        await product.close();
      },
    };
  } catch (error) {
    await product.close();
    throw error;
  }
}

// Run directly: start both and keep running until Ctrl+C.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const handle = await startPlayground({ verbose: process.env.PLAYGROUND_VERBOSE === 'true' }).catch(
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
  process.stdout.write(
    [
      '',
      `Agents Playground: ${handle.playgroundUrl}  (open it in a browser)`,
      `Bot endpoint:      ${handle.productUrl}/api/messages (anonymous, loopback only)`,
      `Dashboard:         ${handle.productUrl}/tab/`,
      `You are ${handle.users.current.name} (${handle.users.current.upn}), an admin of dev tenant ${handle.tenantId}.`,
      'Try: help · status · find adele · restore user <part of a UPN>',
      'Ctrl+C stops everything.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await handle.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
