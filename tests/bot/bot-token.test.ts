// Channel-token validation against the real local token issuer (the same code path production
// runs against Bot Framework's OpenID metadata), and the bot's outbound connector token.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrusting } from '../../bot/bot-routes.ts';
import { createConnectorTokenProvider } from '../../src/auth/bot-connector-token.ts';
import {
  BotAuthError,
  type BotTokenValidator,
  createBotTokenValidator,
} from '../../src/auth/bot-token-validator.ts';
import { BOT_FRAMEWORK_ISSUER } from '../../src/devtenant/token-issuer.ts';
import { type IssuerFixture, startIssuerFixture } from '../issuer/issuer-fixture.ts';

const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';

let fx: IssuerFixture;
let bot: { clientId: string; clientSecret: string };
let validator: BotTokenValidator;

beforeAll(async () => {
  fx = await startIssuerFixture();
  const created = fx.registry.createApp({ displayName: 'Entra Backup bot', kind: 'bot' });
  bot = { clientId: created.app.clientId, clientSecret: created.clientSecret };
  validator = createBotTokenValidator({
    appId: bot.clientId,
    metadataUrls: [fx.issuer.botFrameworkMetadataUrl],
    fetch: fetchTrusting(fx.tls.caPem),
  });
});
afterAll(async () => fx?.stop());

const channelToken = (
  overrides: {
    aud?: string;
    iss?: string;
    serviceurl?: string;
    key?: 'primary' | 'untrusted';
    issuedAt?: number;
    expiresInSeconds?: number;
  } = {},
) =>
  fx.issuer.sign(
    { serviceurl: overrides.serviceurl ?? SERVICE_URL },
    {
      issuer: overrides.iss ?? BOT_FRAMEWORK_ISSUER,
      audience: overrides.aud ?? bot.clientId,
      key: overrides.key,
      issuedAt: overrides.issuedAt,
      expiresInSeconds: overrides.expiresInSeconds ?? 3600,
    },
  );

const activity = { channelId: 'msteams', serviceUrl: SERVICE_URL };

describe('bot channel token validation', () => {
  it('accepts a token signed by the channel for this bot', async () => {
    const identity = await validator.validate(`Bearer ${await channelToken()}`, activity);
    expect(identity.issuer).toBe(BOT_FRAMEWORK_ISSUER);
    expect(identity.audience).toBe(bot.clientId);
  });

  it.each([
    ['no header', async () => undefined],
    ['not a bearer token', async () => 'Basic Zm9vOmJhcg=='],
    ['another audience', async () => `Bearer ${await channelToken({ aud: 'someone-else' })}`],
    [
      'another issuer',
      async () =>
        `Bearer ${await channelToken({ iss: fx.issuer.v2Issuer('6e7d2f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f') })}`,
    ],
    ['an unknown signing key', async () => `Bearer ${await channelToken({ key: 'untrusted' })}`],
    [
      'an expired token',
      async () =>
        `Bearer ${await channelToken({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 600 })}`,
    ],
    [
      "a serviceUrl other than the activity's",
      async () => `Bearer ${await channelToken({ serviceurl: 'https://evil.example.com/' })}`,
    ],
    [
      'an unsigned (alg none) token',
      async () => {
        const [h, p] = (await channelToken()).split('.');
        const header = Buffer.from(
          JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'none' }),
        ).toString('base64url');
        return `Bearer ${header}.${p}.`;
      },
    ],
    [
      'a token with a tampered payload',
      async () => {
        const [h, p, s] = (await channelToken()).split('.');
        const payload = {
          ...JSON.parse(Buffer.from(p, 'base64url').toString()),
          aud: bot.clientId,
          serviceurl: SERVICE_URL,
          extra: 1,
        };
        return `Bearer ${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
      },
    ],
  ])('refuses %s', async (_name, header) => {
    await expect(validator.validate(await header(), activity)).rejects.toBeInstanceOf(BotAuthError);
  });

  it('refuses a channel the signing key is not endorsed for', async () => {
    await expect(
      validator.validate(`Bearer ${await channelToken()}`, { ...activity, channelId: 'slack' }),
    ).rejects.toThrow(/endorsed/);
  });
});

describe('bot connector token', () => {
  it('gets a Bot Framework token from the issuer with the bot app credentials, and caches it', async () => {
    const provider = createConnectorTokenProvider({
      appId: bot.clientId,
      appPassword: bot.clientSecret,
      authorityHost: fx.issuer.url,
      tenant: 'botframework.com',
      fetch: fetchTrusting(fx.tls.caPem),
    });
    const token = await provider();
    expect(token).toBeTruthy();
    const claims = decodeJwt(String(token));
    expect(claims.aud).toBe('https://api.botframework.com');
    expect(claims.appid ?? claims.azp).toBe(bot.clientId);
    expect(await provider()).toBe(token);
  });

  it('fails clearly with a wrong secret', async () => {
    const provider = createConnectorTokenProvider({
      appId: bot.clientId,
      appPassword: 'wrong',
      authorityHost: fx.issuer.url,
      tenant: 'botframework.com',
      fetch: fetchTrusting(fx.tls.caPem),
    });
    await expect(provider()).rejects.toThrow(/token request failed: 401/);
  });

  it('authenticates with a certificate (BOT_CERT_PATH: key and certificate in one PEM file) through a client assertion', async () => {
    const pems = await generate([{ name: 'commonName', value: 'entra-backup-bot' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    fx.registry.addCertificate(bot.clientId, pems.cert);
    const certPath = path.join(tmpdir(), `bot-cert-${process.pid}.pem`);
    await writeFile(certPath, `${pems.private}\n${pems.cert}`, { mode: 0o600 });
    const provider = createConnectorTokenProvider({
      appId: bot.clientId,
      certPath,
      authorityHost: fx.issuer.url,
      tenant: 'botframework.com',
      caPem: fx.tls.caPem,
    });
    const claims = decodeJwt(String(await provider()));
    expect(claims.aud).toBe('https://api.botframework.com');
    expect(claims.appid ?? claims.azp).toBe(bot.clientId);
    expect(claims.appidacr ?? claims.azpacr).toBe('2');

    const unregistered = await generate([{ name: 'commonName', value: 'not-registered' }], { keySize: 2048 });
    const otherPath = path.join(tmpdir(), `bot-cert-other-${process.pid}.pem`);
    await writeFile(otherPath, `${unregistered.private}\n${unregistered.cert}`, { mode: 0o600 });
    await expect(
      createConnectorTokenProvider({
        appId: bot.clientId,
        certPath: otherPath,
        authorityHost: fx.issuer.url,
        tenant: 'botframework.com',
        caPem: fx.tls.caPem,
      })(),
    ).rejects.toThrow(/AADSTS700027.*key was not found/);
    await expect(
      createConnectorTokenProvider({
        appId: bot.clientId,
        certPath: path.join(tmpdir(), 'no-such-bot-cert.pem'),
        authorityHost: fx.issuer.url,
        tenant: 'botframework.com',
      })(),
    ).rejects.toThrow(/BOT_CERT_PATH .* cannot be read \(ENOENT\)/);
  }, 60_000);

  it('sends no token in anonymous mode', async () => {
    expect(
      await createConnectorTokenProvider({ authorityHost: 'https://x', tenant: 'botframework.com' })(),
    ).toBeUndefined();
  });
});
