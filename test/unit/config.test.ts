import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#shared/config.ts';
import { FUNCTIONS, type FunctionName } from '#shared/routes.ts';
import { SETTINGS } from '#shared/settings.ts';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.hubBaseUrl).toBe('https://openai.inference.de-txl.ionos.com');
    expect(config.studioBaseUrl).toBe('https://studio.ionos.de/api/v1');
    expect(config.secretCacheSeconds).toBe(300);
    expect(config.maxRequestBytes).toBe(1024 * 1024);
    expect(config.studioModels).toEqual({});
    expect(config.secretId).toBeUndefined();
  });

  it('reads values, trims trailing slashes from URLs and treats empty strings as unset', () => {
    const config = loadConfig({
      IONOS_HUB_BASE_URL: 'http://127.0.0.1:9999/',
      SECRET_CACHE_SECONDS: '60',
      IONOS_SECRET_ID: '',
      IONOS_API_TOKEN: 'tok',
    });
    expect(config.hubBaseUrl).toBe('http://127.0.0.1:9999');
    expect(config.secretCacheSeconds).toBe(60);
    expect(config.secretId).toBeUndefined();
    expect(config.envCredentials.ionosApiToken).toBe('tok');
  });

  it.each([
    [{ IONOS_HUB_BASE_URL: 'ftp://x' }, 'IONOS_HUB_BASE_URL'],
    [{ IONOS_STUDIO_BASE_URL: 'not a url' }, 'IONOS_STUDIO_BASE_URL'],
    [{ SECRET_CACHE_SECONDS: '-1' }, 'SECRET_CACHE_SECONDS'],
    [{ UPSTREAM_TIMEOUT_MS: 'soon' }, 'UPSTREAM_TIMEOUT_MS'],
    [{ AGENT_MAX_REQUEST_BYTES: '1e12' }, 'AGENT_MAX_REQUEST_BYTES'],
    [{ STUDIO_MODELS: '{"a":"nope"}' }, 'STUDIO_MODELS: entry "a"'],
  ])('fails with a message naming the variable for %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('never echoes a secret value in a validation message', () => {
    try {
      loadConfig({ IONOS_API_TOKEN: 'sentinel-secret-value', SECRET_CACHE_SECONDS: 'x' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('sentinel-secret-value');
    }
  });

  it('reads the Studio map from a file, naming the file variable on errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, '{"granite":"2f0e6b84-5c1d-4a3e-9b7f-0c8d1e2a3b4c"}');
    expect(loadConfig({ STUDIO_MODELS_FILE: good }).studioModels).toEqual({ granite: '2f0e6b84-5c1d-4a3e-9b7f-0c8d1e2a3b4c' });
    expect(() => loadConfig({ STUDIO_MODELS_FILE: join(dir, 'missing.json') })).toThrow(/STUDIO_MODELS_FILE: cannot read/);
  });

  it.each(SETTINGS.filter((s) => s.unit !== 'text' && s.unit !== 'list' && s.unit !== 'JSON').map((s) => [s.name, s] as const))(
    '%s: a bad value stops exactly the functions that read it',
    (name, setting) => {
      for (const fn of Object.keys(FUNCTIONS) as FunctionName[]) {
        const load = () => loadConfig({ [name]: 'not valid!' }, fn);
        if (setting.readBy.includes(fn)) expect(load, fn).toThrow(name);
        else expect(load, fn).not.toThrow();
      }
    },
  );

  it('gives a function the defaults of the settings it does not read, whatever the environment says', () => {
    expect(loadConfig({ PROXY_MAX_CHOICES: '9' }, 'agent').proxyLimits.maxChoices).toBe(4);
    expect(loadConfig({ PROXY_MAX_CHOICES: '9' }, 'hub-proxy').proxyLimits.maxChoices).toBe(9);
  });
});
