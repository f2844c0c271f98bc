// Environment configuration, validated once at start. A wrong value stops start-up with a
// message naming the variable. Every variable is documented in .env.example.
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Port of the product's web server (bot, tab, API, /healthz). */
  PORT: port(3978),
  /** Interface to bind; loopback by default. */
  HOST: z.string().default('127.0.0.1'),
  /** Public base URL of the web role (tab, consent callback), e.g. https://backup.contoso.com. */
  PUBLIC_URL: optionalString.pipe(z.url().optional()),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Microsoft Graph and Entra ID. Unset BACKUP_CLIENT_ID = the dev tenant is started and used.
  GRAPH_BASE_URL: optionalString.pipe(z.url().optional()),
  AUTHORITY_HOST: optionalString.pipe(z.url().optional()),
  BACKUP_CLIENT_ID: optionalString,
  BACKUP_CLIENT_SECRET: optionalString,
  BACKUP_CERT_PATH: optionalString,
  RESTORE_CLIENT_ID: optionalString,
  RESTORE_CLIENT_SECRET: optionalString,
  RESTORE_CERT_PATH: optionalString,
  GRAPH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  GRAPH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),

  // Store. COSMOS_ENDPOINT set = Cosmos DB; else SQLite under DATA_DIR.
  COSMOS_ENDPOINT: optionalString.pipe(z.url().optional()),
  COSMOS_KEY: optionalString,
  COSMOS_DATABASE: z.string().default('entra-backup'),
  /** Client id of the user-assigned managed identity (Azure): with COSMOS_KEY unset, Cosmos DB is
   * reached through it (Entra ID data-plane RBAC); @azure/identity reads this variable too. */
  AZURE_CLIENT_ID: optionalString,

  // Bot.
  BOT_APP_ID: optionalString,
  BOT_APP_PASSWORD: optionalString,
  BOT_CERT_PATH: optionalString,
  BOT_TENANT_ID: optionalString,

  // Tab SSO (the Entra app exposing api://<domain>/<client id>/access_as_user).
  TAB_CLIENT_ID: optionalString,
  TAB_DOMAIN: optionalString,

  // Dev tenant (used when BACKUP_CLIENT_ID is unset).
  DEV_TENANT_GRAPH_PORT: port(3979),
  DEV_TENANT_LOGIN_PORT: port(3980),
  DEV_TENANT_USERS: z.coerce.number().int().min(1).max(1_000_000).default(200),
  DEV_TENANT_SEED: z.string().default('contoso'),
  /** Seeded tenants (an MSP's view); the first is the default. */
  DEV_TENANT_TENANTS: z.coerce.number().int().min(1).max(100).default(1),

  // Roles and worker.
  ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  WORKER_ID: optionalString,
  WORKER_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(5),
  LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** Seconds between the notifier's store polls (runs finished by other processes, expiry,
   * digests); runs finished in this process are posted at once, from the in-process event. */
  NOTIFY_POLL_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  SCHEDULER_ENABLED: bool(true),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.BACKUP_CLIENT_ID && !config.BACKUP_CLIENT_SECRET && !config.BACKUP_CERT_PATH) {
    throw new ConfigError(
      'Invalid configuration:\n  BACKUP_CLIENT_SECRET: required (or BACKUP_CERT_PATH) when BACKUP_CLIENT_ID is set',
    );
  }
  if (config.RESTORE_CLIENT_ID && !config.RESTORE_CLIENT_SECRET && !config.RESTORE_CERT_PATH) {
    throw new ConfigError(
      'Invalid configuration:\n  RESTORE_CLIENT_SECRET: required (or RESTORE_CERT_PATH) when RESTORE_CLIENT_ID is set',
    );
  }
  if (config.BOT_APP_ID && !config.BOT_APP_PASSWORD && !config.BOT_CERT_PATH) {
    throw new ConfigError(
      'Invalid configuration:\n  BOT_APP_PASSWORD: required (or BOT_CERT_PATH) when BOT_APP_ID is set',
    );
  }
  return config;
}

/** True when no real tenant is configured: the dev tenant and its token issuer are started. */
export function usesDevTenant(config: Config): boolean {
  return !config.BACKUP_CLIENT_ID;
}
