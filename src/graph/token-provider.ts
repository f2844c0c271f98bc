// App-only tokens from @azure/msal-node: one ConfidentialClientApplication per tenant and app,
// whose in-memory cache serves tokens until shortly before expiry. The same code talks to
// login.microsoftonline.com and to the dev tenant's issuer: for a host msal does not know,
// knownAuthorities makes it trust the authority and read its OpenID discovery document through
// our network client (which trusts the dev tenant's CA).
import { X509Certificate } from 'node:crypto';
import type https from 'node:https';
import { AuthError, ConfidentialClientApplication, type Configuration, LogLevel } from '@azure/msal-node';
import type { Logger } from '../log.ts';
import { GraphError } from './gateway.ts';
import type { GraphAppCredentials } from './graph-gateway-options.ts';
import { MsalHttpsNetworkClient } from './msal-network-client.ts';

/** Hosts msal already knows (public and national clouds): no knownAuthorities needed. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoftonline.de',
]);

export interface AccessTokenProvider {
  getAccessToken(): Promise<string>;
}

export class MsalAppTokenProvider implements AccessTokenProvider {
  private readonly app: ConfidentialClientApplication;
  private readonly authority: string;

  constructor(
    readonly tenantId: string,
    private readonly credentials: GraphAppCredentials,
    options: { authorityHost: string; agent: https.Agent; scope: string; logger: Logger },
  ) {
    this.scope = options.scope;
    const host = new URL(options.authorityHost);
    if (host.protocol !== 'https:') {
      throw new Error(`Authority host must be https (msal-node refuses others): ${options.authorityHost}`);
    }
    this.authority = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}`;
    const auth: Configuration['auth'] = { clientId: credentials.clientId, authority: this.authority };
    if (!MICROSOFT_AUTHORITY_HOSTS.has(host.hostname)) auth.knownAuthorities = [host.host];
    if (credentials.clientSecret) {
      auth.clientSecret = credentials.clientSecret;
    } else if (credentials.certificate) {
      // Either field may hold a combined PEM file (key + certificate): take the right block.
      const certPem = pemBlock(credentials.certificate.certificatePem, 'CERTIFICATE', credentials.clientId);
      const keyPem = pemBlock(credentials.certificate.privateKeyPem, 'PRIVATE KEY', credentials.clientId);
      const cert = new X509Certificate(certPem);
      auth.clientCertificate = {
        thumbprintSha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        privateKey: keyPem,
        x5c: certPem,
      };
    } else {
      throw new Error(`App ${credentials.clientId} has neither a client secret nor a certificate`);
    }
    const log = options.logger;
    this.app = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: new MsalHttpsNetworkClient(options.agent),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Error) log.error({ msal: message }, 'msal');
            else log.debug({ msal: message }, 'msal');
          },
        },
      },
    });
  }

  private readonly scope: string;

  async getAccessToken(): Promise<string> {
    try {
      const result = await this.app.acquireTokenByClientCredential({ scopes: [this.scope] });
      if (!result?.accessToken) throw new Error('msal returned no access token');
      return result.accessToken;
    } catch (err) {
      throw tokenError(err, this.credentials.clientId, this.tenantId, this.authority);
    }
  }
}

function pemBlock(pem: string, label: 'CERTIFICATE' | 'PRIVATE KEY', clientId: string): string {
  const pattern =
    label === 'CERTIFICATE'
      ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/
      : /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;
  const match = pem.match(pattern);
  if (!match) throw new Error(`The certificate credential of app ${clientId} has no PEM ${label} block`);
  return match[0];
}

/** A token failure as a GraphError: 401 with Entra's error (e.g. invalid_client) as the code. */
function tokenError(err: unknown, clientId: string, tenantId: string, authority: string): GraphError {
  if (err instanceof GraphError) return err;
  const code = err instanceof AuthError ? err.errorCode : 'token_acquisition_failed';
  const detail =
    err instanceof AuthError
      ? err.errorMessage || err.message
      : err instanceof Error
        ? err.message
        : String(err);
  const firstLine = detail.split(/\r?\n/)[0];
  return new GraphError(
    401,
    code,
    `Could not get a token for app ${clientId} in tenant ${tenantId} from ${authority}: ${firstLine}`,
  );
}
