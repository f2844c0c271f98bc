// The loopback certificate of the dev tenant's HTTPS servers (token issuer, Graph simulator).
// HTTPS is not decoration here: msal-node refuses an http: authority and
// @microsoft/microsoft-graph-client only treats https:// base URLs as absolute. The certificate
// is its own CA (basicConstraints cA), so clients trust it by adding `caPem` to their CA list.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface LoopbackCert {
  /** PEM private key of the server. */
  key: string;
  /** PEM certificate served by the server. */
  cert: string;
  /** PEM certificate clients add to their trusted CAs (the same self-signed certificate). */
  caPem: string;
}

const KEY_FILE = 'loopback-tls.key';
const CERT_FILE = 'loopback-tls.crt';
/** Regenerate when fewer days than this remain, so a long-lived data dir never serves an expired cert. */
const RENEW_BEFORE_DAYS = 30;
const VALID_DAYS = 825;

/** Loads the loopback certificate persisted in `dir`, creating (or renewing) it when needed. */
export async function loadOrCreateLoopbackCert(dir: string): Promise<LoopbackCert> {
  const keyPath = path.join(dir, KEY_FILE);
  const certPath = path.join(dir, CERT_FILE);
  const existing = await readExisting(keyPath, certPath);
  if (existing) return existing;

  await mkdir(dir, { recursive: true });
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'Entra Backup dev tenant (loopback)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  // The private key is readable by the owner only.
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { key: pems.private, cert: pems.cert, caPem: pems.cert };
}

async function readExisting(keyPath: string, certPath: string): Promise<LoopbackCert | undefined> {
  let key: string;
  let cert: string;
  try {
    [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  } catch {
    return undefined;
  }
  try {
    const x509 = new X509Certificate(cert);
    const renewAt = Date.parse(x509.validTo) - RENEW_BEFORE_DAYS * 86_400_000;
    if (Number.isNaN(renewAt) || Date.now() > renewAt) return undefined;
    if (!x509.checkIP('127.0.0.1') || !x509.checkHost('localhost')) return undefined;
  } catch {
    // A corrupt file is replaced rather than served.
    return undefined;
  }
  return { key, cert, caPem: cert };
}
