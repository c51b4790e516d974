import { describe, expect, it } from 'vitest';
import { APIConnectionError, APIError, APIUserAbortError, BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { backoffMs, classify, RetryBudget, retryAfterMs, withRetries, type Backoff } from '../../framework/llm/retry.js';

const headers = (h: Record<string, string>) => new Headers(h);
const FAST: Backoff = { baseMs: 1, capMs: 4, maxRetryAfterMs: 1000 };

describe('retry policy', () => {
  it('reads Retry-After in seconds, as an HTTP date, and retry-after-ms first', () => {
    expect(retryAfterMs(headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(headers({ 'retry-after': '0.5' }))).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(retryAfterMs(headers({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(headers({ 'retry-after': '9', 'retry-after-ms': '120' }))).toBe(120);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });

  it('retries 429, 408, 409, 5xx and connection failures; fails other 4xx and aborts', () => {
    const h = headers({});
    expect(classify(new RateLimitError(429, { message: 'slow down' }, undefined, h))).toMatchObject({ retry: true, status: 429, message: 'slow down' });
    expect(classify(APIError.generate(408, undefined, 'timeout', h)).retry).toBe(true);
    expect(classify(APIError.generate(409, undefined, 'lock', h)).retry).toBe(true);
    expect(classify(new InternalServerError(502, undefined, 'bad gateway', h))).toMatchObject({ retry: true, status: 502, message: 'bad gateway' });
    expect(classify(new APIConnectionError({ message: 'Connection error.' })).retry).toBe(true);
    expect(classify(new BadRequestError(400, { message: 'bad' }, undefined, h))).toEqual({ retry: false, status: 400, message: 'bad' });
    expect(classify(APIError.generate(404, { error: { message: 'no such model' } }, undefined, h))).toEqual({ retry: false, status: 404, message: 'no such model' });
    expect(classify(new APIUserAbortError()).retry).toBe(false);
  });

  it('full jitter stays below an exponential ceiling, capped', () => {
    const backoff = { baseMs: 100, capMs: 1000, maxRetryAfterMs: 0 };
    expect(backoffMs(0, backoff, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffMs(2, backoff, () => 0.5)).toBe(200);
    expect(backoffMs(10, backoff, () => 0.999)).toBeCloseTo(999);
    expect(backoffMs(3, backoff, () => 0)).toBe(0);
  });

  it('a budget of retries is spent by retries and earned back by successes', async () => {
    const budget = new RetryBudget(2, 0.5);
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new InternalServerError(500, undefined, 'down', headers({})));
    };
    const first = await withRetries(failing, { maxRetries: 5, budget, backoff: FAST });
    expect(first).toMatchObject({ attempts: 3, gaveUp: expect.stringMatching(/retry budget is spent/) });
    expect(calls).toBe(3);
    await withRetries(() => Promise.resolve(1), { maxRetries: 5, budget, backoff: FAST });
    await withRetries(() => Promise.resolve(1), { maxRetries: 5, budget, backoff: FAST });
    expect(budget.left).toBe(1);
    expect(budget.trySpend()).toBe(true);
    expect(budget.trySpend()).toBe(false);
  });
});
