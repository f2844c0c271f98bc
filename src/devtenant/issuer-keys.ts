// Signing keys of the local token issuer: a primary RSA key published in the JWKS (with an
// x5c certificate, as Entra publishes), and an untrusted key that is never published, so tests
// can mint wrong-key tokens. The primary key persists in the data dir when one is given, so
// tokens and cached JWKS stay valid across restarts.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, type JWK } from 'jose';
import { generate } from 'selfsigned';

export interface IssuerSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certPem: string;
}

export interface IssuerKeys {
  primary: IssuerSigningKey;
  /** Never published: tokens signed with it must fail verification. */
  untrusted: IssuerSigningKey;
}

const KEY_FILE = 'issuer-signing-key.json';

interface StoredKey {
  privatePem: string;
  certPem: string;
}

export async function loadOrCreateIssuerKeys(dataDir?: string): Promise<IssuerKeys> {
  const primary = dataDir ? await loadOrCreatePersisted(dataDir) : await createKey();
  return { primary: toSigningKey(primary), untrusted: toSigningKey(await createKey()) };
}

/** The JSON Web Key Set a relying party downloads (public parts only). */
export async function publicJwks(keys: IssuerKeys, extra: Partial<JWK> = {}): Promise<{ keys: JWK[] }> {
  const jwk = await exportJWK(keys.primary.publicKey);
  const x5c = new X509Certificate(keys.primary.certPem).raw.toString('base64');
  return {
    keys: [
      {
        kty: 'RSA',
        use: 'sig',
        kid: keys.primary.kid,
        x5t: keys.primary.kid,
        n: jwk.n,
        e: jwk.e,
        x5c: [x5c],
        ...extra,
      },
    ],
  };
}

async function loadOrCreatePersisted(dataDir: string): Promise<StoredKey> {
  const file = path.join(dataDir, KEY_FILE);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredKey;
    if (typeof stored.privatePem === 'string' && typeof stored.certPem === 'string') return stored;
  } catch {
    // missing or unreadable: create a new key below
  }
  const created = await createKey();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(created), { mode: 0o600 });
  return created;
}

async function createKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'Entra Backup dev token issuer' }], {
    keyPair: { privateKey: privatePem, publicKey: publicPem },
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 5 * 365 * 86_400_000),
  });
  return { privatePem, certPem: pems.cert };
}

function toSigningKey(stored: StoredKey): IssuerSigningKey {
  const privateKey = createPrivateKey(stored.privatePem);
  // Entra's kid is the certificate's SHA-1 thumbprint, base64url (the same value as x5t).
  const kid = createHash('sha1').update(new X509Certificate(stored.certPem).raw).digest('base64url');
  return { kid, privateKey, publicKey: createPublicKey(privateKey), certPem: stored.certPem };
}
