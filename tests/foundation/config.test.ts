import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, usesDevTenant } from '../../src/config.ts';

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

  it('refuses a bot app id without its password or certificate', () => {
    expect(() => loadConfig({ BOT_APP_ID: 'bot' })).toThrow(/BOT_APP_PASSWORD/);
  });
});
