import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, usesDevTenant } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime.ts';

describe('configuration', () => {
  it('starts on the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3978);
    expect(config.DATA_DIR).toBe('./data');
    expect(usesDevTenant(config)).toBe(true);
  });

  it('names the variable that holds a wrong value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ COSMOS_ENDPOINT: 'not a url' })).toThrow(/COSMOS_ENDPOINT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('refuses a real tenant without a credential for the backup app', () => {
    expect(() => loadConfig({ BACKUP_CLIENT_ID: '11111111-1111-1111-1111-111111111111' })).toThrow(
      /BACKUP_CLIENT_SECRET/,
    );
    const config = loadConfig({ BACKUP_CLIENT_ID: 'app', BACKUP_CLIENT_SECRET: 's' });
    expect(usesDevTenant(config)).toBe(false);
  });

  it('refuses a restore app id without its secret or certificate', () => {
    expect(() =>
      loadConfig({ BACKUP_CLIENT_ID: 'app', BACKUP_CLIENT_SECRET: 's', RESTORE_CLIENT_ID: 'restore' }),
    ).toThrow(/RESTORE_CLIENT_SECRET/);
    expect(
      loadConfig({
        BACKUP_CLIENT_ID: 'app',
        BACKUP_CLIENT_SECRET: 's',
        RESTORE_CLIENT_ID: 'r',
        RESTORE_CERT_PATH: 'r.pem',
      }).RESTORE_CERT_PATH,
    ).toBe('r.pem');
  });

  it('names the certificate variable whose file cannot be read', async () => {
    const config = loadConfig({
      BACKUP_CLIENT_ID: 'app',
      BACKUP_CERT_PATH: '/nonexistent/backup-app.pem',
      DATA_DIR: '/nonexistent/data',
    });
    await expect(openRuntime(config)).rejects.toThrow(
      /BACKUP_CERT_PATH: cannot read \/nonexistent\/backup-app\.pem/,
    );
  });

  it('refuses a bot app id without its password or certificate', () => {
    expect(() => loadConfig({ BOT_APP_ID: 'bot' })).toThrow(/BOT_APP_PASSWORD/);
  });
});
