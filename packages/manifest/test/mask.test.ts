import { describe, expect, it } from 'vitest';
import { isSecretKey, MASK, maskSecrets } from '../src/index.js';

describe('maskSecrets', () => {
  it('masks secret-named keys at any depth and leaves the rest', () => {
    const input = {
      name: 'search',
      api_key: 'sk-123',
      nested: { password: 'hunter2', list: [{ github_token: 'ghp_x', keep: 'yes' }] },
      db_password: 'pw',
      client_secret: 'cs',
      openai_api_key: 'sk-o',
      token_env: 'SEARCH_TOKEN',
      auth_secret_env: 'EXAMPLE_API_TOKEN',
      tokens_used: 12,
    };
    expect(maskSecrets(input)).toEqual({
      name: 'search',
      api_key: MASK,
      nested: { password: MASK, list: [{ github_token: MASK, keep: 'yes' }] },
      db_password: MASK,
      client_secret: MASK,
      openai_api_key: MASK,
      token_env: 'SEARCH_TOKEN',
      auth_secret_env: 'EXAMPLE_API_TOKEN',
      tokens_used: 12,
    });
    // The input is not modified.
    expect(input.api_key).toBe('sk-123');
  });

  it('masks auth credentials and the header an auth table names', () => {
    const manifest = {
      mcp_http: {
        url: 'https://user:s3cret@plugins.example.com/mcp',
        auth: { header: 'X-API-Token', scheme: null, token: 'abc' },
        headers: { 'X-API-Token': 'abc', Authorization: 'Bearer abc', Accept: 'application/json' },
      },
    };
    expect(maskSecrets(manifest)).toEqual({
      mcp_http: {
        url: `https://user:${MASK}@plugins.example.com/mcp`,
        auth: { header: 'X-API-Token', scheme: null, token: MASK },
        headers: { 'X-API-Token': MASK, Authorization: MASK, Accept: 'application/json' },
      },
    });
  });

  it('masks the whole value of a secret-named key, whatever its type', () => {
    expect(MASK).toBe('[MASKED]');
    expect(
      maskSecrets({
        API_TOKEN: ['sk-1', 'sk-2'],
        DB_PASSWORD: { value: 'hunter2' },
        service_key: 42,
        access_token: true,
        auth: 'sk-bare',
        env: { SEARCH_TOKEN_ENV: 'SEARCH_TOKEN', list: [{ client_secret: { v: 1 } }] },
        partition_key: null,
      }),
    ).toEqual({
      API_TOKEN: MASK,
      DB_PASSWORD: MASK,
      service_key: MASK,
      access_token: MASK,
      auth: MASK,
      env: { SEARCH_TOKEN_ENV: 'SEARCH_TOKEN', list: [{ client_secret: MASK }] },
      partition_key: null,
    });
  });

  it('handles cycles and non-string secrets', () => {
    const a: Record<string, unknown> = { password: 1234 };
    a.self = a;
    const masked = maskSecrets(a) as Record<string, unknown>;
    expect(masked.password).toBe(MASK);
    expect(masked.self).toBe('[Circular]');
    expect(maskSecrets({ secret: null })).toEqual({ secret: null });
  });

  it('recognises the documented key shapes', () => {
    for (const key of [
      // the spec's list
      'api_key',
      'secret_key',
      'access_token',
      'password',
      'client_secret',
      'AWS_SECRET',
      'slack_token',
      'DB_PASSWORD',
      'stripe_key',
      'SERVICE_KEY',
      // kept from before, and the camelCase forms
      'apiKey',
      'clientSecret',
      'githubToken',
      'secret',
      'token',
      'authorization',
      'Cookie',
      'x-api-key',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of [
      'name',
      'token_env',
      'secret_env',
      'auth_secret_env',
      'tokenizer',
      'keyword',
      'passage',
      'monkey',
      'tokens_used',
      'keys',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});

describe('keys that end in _key but are the spec’s own fields', () => {
  it('leaves partition_key, idempotency_key and checkpoint_key visible; other *_key names masked', () => {
    expect(
      maskSecrets({
        unit_of_work: { partition_key: 'tenant' },
        idempotency_key: 'job-1',
        checkpointKey: 'unit/7',
        stripe_key: 'sk-live-1',
      }),
    ).toEqual({
      unit_of_work: { partition_key: 'tenant' },
      idempotency_key: 'job-1',
      checkpointKey: 'unit/7',
      stripe_key: MASK,
    });
  });
});
