import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { ENDPOINT_OPTIONS } from '../../framework/llm/options.js';
import { costOf, percentile, UsageLedger } from '../../framework/llm/usage.js';

describe('accounting', () => {
  it('percentiles are nearest-rank', () => {
    const ms = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1, unsorted on purpose
    expect(percentile(ms, 50)).toBe(10);
    expect(percentile(ms, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('adds up a known sequence: hits and failures cost nothing, latencies of answered requests only', () => {
    const ledger = new UsageLedger();
    const price = { input: 0.15, output: 0.6 };
    for (let i = 1; i <= 20; i++) ledger.record('eval', 'api', { requests: i === 3 ? 2 : 1, cached: false, failed: false, usage: { prompt_tokens: 1000, completion_tokens: 100 }, latency_ms: i * 10, price });
    ledger.record('eval', 'api', { requests: 0, cached: true, failed: false, usage: { prompt_tokens: 1000, completion_tokens: 100 }, price });
    ledger.record('eval', 'api', { requests: 4, cached: false, failed: true, usage: { prompt_tokens: 0, completion_tokens: 0 }, price });
    expect(ledger.figures('eval')).toEqual({
      api: {
        calls: 22,
        requests: 25,
        cache_hits: 1,
        errors: 1,
        prompt_tokens: 20_000,
        completion_tokens: 2_000,
        cost: expect.closeTo((20_000 * 0.15 + 2_000 * 0.6) / 1e6, 12),
        latency_p50_ms: 100,
        latency_p95_ms: 190,
      },
    });
    expect(costOf({ prompt_tokens: 1e6, completion_tokens: 2e6 }, { input: 1, output: 3 })).toBe(7);
    expect(ledger.line('eval')).toBe('api: 25 req, 1 hits, 22k tok, 1 errors, $0.00, p50 100 ms');
  });
});

describe('endpoint option schema', () => {
  const schema = { type: 'object', additionalProperties: false, properties: { ...ENDPOINT_OPTIONS.properties, format: { type: 'string', default: 'text' } }, required: [...ENDPOINT_OPTIONS.required] };

  it('a plugin spreading it gets its defaults filled and its model required', () => {
    const validate = new Ajv({ useDefaults: true, allErrors: true }).compile(schema);
    const options: Record<string, unknown> = { model: 'gpt-4.1-mini', extra_body: { chat_template_kwargs: { enable_thinking: false } } };
    expect(validate(options)).toBe(true);
    expect(options).toEqual({
      model: 'gpt-4.1-mini',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
      timeout: 120,
      max_retries: 6,
      concurrency: 64,
      format: 'text',
      extra_body: { chat_template_kwargs: { enable_thinking: false } },
    });
    expect(validate({})).toBe(false);
    expect(validate({ model: 'm', api_key_env: null, price: { input: 1 } })).toBe(false);
    expect(validate({ model: 'm', api_key_env: null, price: { input: 1, output: 2 }, temperature: 0.7, seed: 3 })).toBe(true);
  });

  it('every option is described', () => {
    for (const [name, p] of Object.entries(ENDPOINT_OPTIONS.properties)) expect((p as { description?: string }).description, name).toBeTruthy();
  });
});
