// What the issuer's endpoint modules share: the resolved tenant of a request, pending
// authorization codes, and the issuer's signing and directory lookups.
import type { JWTPayload } from 'jose';
import type { Logger } from '../log.ts';
import type { AppRegistry } from './app-registry.ts';
import type { DirectoryUser, IssuerDirectory } from './token-issuer.ts';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const BOT_FRAMEWORK_RESOURCE = 'https://api.botframework.com';
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
export const CODE_LIFETIME_MS = 10 * 60_000;

export type ResolvedTenant =
  | { tenantId: string; domain: string; multi: false }
  | { multi: true; name: string };

export interface PendingCode {
  clientId: string;
  redirectUri: string;
  tenantId: string;
  user: DirectoryUser;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
  expiresAt: number;
}

export interface IssuerContext {
  readonly url: string;
  readonly options: { registry: AppRegistry; directory: IssuerDirectory; logger?: Logger };
  /** Access token lifetime in seconds. */
  readonly lifetime: number;
  readonly codes: Map<string, PendingCode>;
  sign(claims: JWTPayload): Promise<string>;
  v2Issuer(tenantId: string): string;
  findUser(tenant: ResolvedTenant, login: string): { tenantId: string; user: DirectoryUser } | undefined;
}

export function scopeResource(scope: string): string {
  const slash = scope.lastIndexOf('/');
  return slash > 0 ? scope.slice(0, slash).replace(/\/+$/, '') : GRAPH_RESOURCE;
}

export function clientInfo(uid: string, utid: string): string {
  return Buffer.from(JSON.stringify({ uid, utid })).toString('base64url');
}
