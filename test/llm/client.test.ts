import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResponseCache } from '../../framework/llm/cache.js';
import { callOptions, chatRequest, Endpoints, type CallOptions, type ChatRequest, type ChatTool, type LayerSettings } from '../../framework/llm/client.js';
import type { EndpointOptions } from '../../framework/llm/options.js';
import { RetryBudget, type Backoff } from '../../framework/llm/retry.js';
import { UsageLedger } from '../../framework/llm/usage.js';
import { FakeEndpoint, USAGE } from './fake-endpoint.js';

// Real HTTP on 127.0.0.1 with the real openai client: the server below is the only stand-in.
const SENTINEL = 'sk-SENTINEL-7f3a9c-never-write-me';
const FAST: Backoff = { baseMs: 5, capMs: 20, maxRetryAfterMs: 5_000 };
const REQUEST: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Is it a mammal?' }], temperature: 0 };
const CALL: CallOptions = { timeout: 5, max_retries: 4 };
/** What ajv fills in from ENDPOINT_OPTIONS (test/llm/usage.test.ts checks those defaults). */
const ENDPOINT_DEFAULTS: Omit<EndpointOptions, 'model'> = { base_url: 'https://api.openai.com/v1', api_key_env: 'OPENAI_API_KEY', timeout: 120, max_retries: 6, concurrency: 64 };

let server: FakeEndpoint;
beforeAll(async () => {
  server = await FakeEndpoint.start();
});
afterAll(() => server.close());
afterEach(() => {
  server.received.length = 0;
  server.next.length = 0;
  server.always = { do: 'ok' };
});

function endpoint(settings: Partial<LayerSettings> = {}, limits: { concurrency?: number; requests_per_minute?: number } = {}) {
  const layer = new Endpoints({ cache: null, backoff: FAST, env: { TEST_KEY: SENTINEL }, ...settings });
  return layer.get({ base_url: server.url, api_key_env: 'TEST_KEY', concurrency: 16, ...limits });
}

describe('endpoint client: requests', () => {
  it('sends the options as the request body, extra_body merged in, and returns tool calls', async () => {
    const options = { ...ENDPOINT_DEFAULTS, model: 'qwen3', temperature: 0, seed: 7, extra_body: { chat_template_kwargs: { enable_thinking: false } } };
    const tools: ChatTool[] = [{ type: 'function', function: { name: 'ask', parameters: { type: 'object', properties: { question: { type: 'string' } } } } }];
    const request = chatRequest(options, [{ role: 'user', content: 'Your move.' }], tools);
    expect(callOptions(options)).toEqual({ timeout: 120, max_retries: 6 });
    const r = await endpoint().chat(request, callOptions(options));
    expect(server.received[0]!.body).toEqual({ model: 'qwen3', messages: [{ role: 'user', content: 'Your move.' }], tools, temperature: 0, seed: 7, chat_template_kwargs: { enable_thinking: false }, stream: false });
    expect(r).toMatchObject({
      ok: true,
      text: '',
      finish_reason: 'tool_calls',
      tool_calls: [{ id: expect.stringMatching(/^call-\d+$/), type: 'function', function: { name: 'ask', arguments: expect.stringMatching(/^\{"question":"Is it \d+\?"\}$/) } }],
    });
  });
});

describe('endpoint client: retries', () => {
  it('retries 500, 503, a reset connection and a 429, then answers; the server saw every attempt', async () => {
    server.next.push({ do: 'status', status: 500 }, { do: 'status', status: 503 }, { do: 'reset' }, { do: 'status', status: 429 });
    const r = await endpoint().chat(REQUEST, CALL);
    expect(r).toMatchObject({ ok: true, text: expect.stringMatching(/^reply \d+$/), attempts: 5, cached: false, usage: USAGE, finish_reason: 'stop', model: 'test-model' });
    expect(server.received).toHaveLength(5);
    expect(server.received[0]!.authorization).toBe(`Bearer ${SENTINEL}`);
  });

  it('waits at least what Retry-After (seconds) and retry-after-ms ask', async () => {
    server.next.push({ do: 'status', status: 429, headers: { 'retry-after': '0.3' } }, { do: 'status', status: 503, headers: { 'retry-after-ms': '200' } });
    const r = await endpoint().chat(REQUEST, CALL);
    expect(r.ok).toBe(true);
    const [a, b, c] = server.received.map((x) => x.at);
    expect(b! - a!).toBeGreaterThanOrEqual(300);
    expect(c! - b!).toBeGreaterThanOrEqual(200);
  });

  it('fails a 400 at once, with the server message, the endpoint, the model and the status', async () => {
    server.next.push({ do: 'status', status: 400, message: "'messages' must not be empty" });
    const r = await endpoint().chat(REQUEST, CALL);
    expect(r.ok).toBe(false);
    expect(server.received).toHaveLength(1);
    if (r.ok) return;
    expect(r).toMatchObject({ status: 400, attempts: 1, cached: false });
    expect(r.error).toBe(`endpoint ${server.url}, model test-model: 400 'messages' must not be empty`);
  });

  it('after the last retry, the error names the endpoint, model, status and message', async () => {
    server.always = { do: 'status', status: 503, message: 'engine overloaded' };
    const r = await endpoint().chat(REQUEST, { ...CALL, max_retries: 2 });
    expect(server.received).toHaveLength(3);
    expect(r).toMatchObject({ ok: false, status: 503, attempts: 3 });
    expect(!r.ok && r.error).toBe(`endpoint ${server.url}, model test-model: 503 engine overloaded (gave up after 3 attempts)`);
  });

  it('a connection reset on every attempt fails with what the socket said', async () => {
    server.always = { do: 'reset' };
    const r = await endpoint().chat(REQUEST, { ...CALL, max_retries: 1 });
    expect(server.received).toHaveLength(2);
    expect(!r.ok && r.error).toBe(`endpoint ${server.url}, model test-model: Connection error. (other side closed) (gave up after 2 attempts)`);
  });

  it('a timed-out request is retried, and fails as a timeout when it never answers', async () => {
    server.always = { do: 'hang' };
    const r = await endpoint().chat(REQUEST, { timeout: 0.1, max_retries: 1 });
    expect(server.received).toHaveLength(2);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/timed out.*gave up after 2 attempts/);
  });

  it('the retry budget stops retrying during an outage: requests grow with calls, not calls x retries', async () => {
    server.always = { do: 'status', status: 503 };
    const e = endpoint({ budget: () => new RetryBudget(3, 0.1) });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await e.chat(REQUEST, CALL));
    // without a budget: 6 x (1 + 4) = 30 requests; with it: 6 first attempts and the 3 retries it holds
    expect(server.received).toHaveLength(9);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(!results[5]!.ok && results[5]!.error).toMatch(/retry budget is spent/);
    // successes earn retries back
    server.always = { do: 'ok' };
    for (let i = 0; i < 10; i++) await e.chat(REQUEST, CALL);
    expect(e.retryBudget).toBeCloseTo(1, 5);
  });

  it('a Retry-After longer than a run waits fails the call now', async () => {
    server.next.push({ do: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const r = await endpoint().chat(REQUEST, CALL);
    expect(server.received).toHaveLength(1);
    expect(!r.ok && r.error).toMatch(/asked to retry after 3600 s/);
  });
});

describe('endpoint client: abort', () => {
  it('cancels a call in flight: rejects with the reason, the server saw one request', async () => {
    server.always = { do: 'hang' };
    const controller = new AbortController();
    const call = endpoint().chat(REQUEST, { ...CALL, signal: controller.signal });
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    expect(server.received).toHaveLength(1);
  });

  it('cancels a call waiting for the rate limiter: it never reaches the server', async () => {
    server.always = { do: 'hang' };
    const e = endpoint({}, { concurrency: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const holding = e.chat(REQUEST, { ...CALL, signal: first.signal });
    const waiting = e.chat({ ...REQUEST, seed: 2 }, { ...CALL, signal: second.signal });
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    expect(e.limiter.waiting).toBe(1);
    second.abort(new Error('second stopped'));
    await expect(waiting).rejects.toThrow('second stopped');
    expect(e.limiter.waiting).toBe(0);
    first.abort(new Error('first stopped'));
    await expect(holding).rejects.toThrow('first stopped');
    expect(server.received).toHaveLength(1);
  });

  it('cancels a call waiting out a Retry-After', async () => {
    server.next.push({ do: 'status', status: 429, headers: { 'retry-after': '2' } });
    const controller = new AbortController();
    const call = endpoint().chat(REQUEST, { ...CALL, signal: controller.signal });
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    const t = performance.now();
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    expect(performance.now() - t).toBeLessThan(500);
    expect(server.received).toHaveLength(1);
  });
});

describe('endpoint client: rate limits', () => {
  /** Span between the first and last of n requests fired at once under requests_per_minute. */
  async function span(rpm: number, n: number): Promise<number[]> {
    server.received.length = 0;
    const e = endpoint({}, { requests_per_minute: rpm });
    await Promise.all(Array.from({ length: n }, (_, i) => e.chat({ ...REQUEST, seed: i }, CALL)));
    const at = server.received.map((r) => r.at);
    return at.slice(1).map((t, i) => t - at[i]!);
  }

  it('spaces requests at requests_per_minute: half the rate, twice the spacing', async () => {
    const fast = await span(1200, 6); // 50 ms apart
    const slow = await span(600, 6); // 100 ms apart
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const ratio = sum(slow) / sum(fast);
    console.log(`rate limiter: spans ${sum(fast).toFixed(0)} ms at 1200/min, ${sum(slow).toFixed(0)} ms at 600/min, ratio ${ratio.toFixed(2)} (2 expected)`);
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.4);
    // even spacing, never a burst: every gap near the interval, none far below it
    for (const gap of slow) expect(gap).toBeGreaterThan(0.8 * 100);
  });

  it('limits share one endpoint across plugins; the tighter of each holds', () => {
    const layer = new Endpoints({ cache: null, env: { TEST_KEY: SENTINEL } });
    const a = layer.get({ base_url: server.url, api_key_env: 'TEST_KEY', concurrency: 64 });
    const b = layer.get({ base_url: `${server.url}/`, api_key_env: 'TEST_KEY', concurrency: 8, requests_per_minute: 600 });
    expect(b).toBe(a);
    expect(a.limiter.current).toMatchObject({ concurrency: 8, requests_per_minute: 600 });
    const other = layer.get({ base_url: server.url, api_key_env: null, concurrency: 64 });
    expect(other).not.toBe(a);
  });
});

describe('endpoint client: keys', () => {
  it('an unset key variable is an error that names it', () => {
    const layer = new Endpoints({ cache: null, env: {} });
    expect(() => layer.get({ base_url: server.url, api_key_env: 'MY_PROVIDER_KEY', concurrency: 4 })).toThrow(/no API key: set the environment variable MY_PROVIDER_KEY/);
  });

  it('the key is not in what logging or serialising an endpoint writes', async () => {
    const e = endpoint();
    await e.chat(REQUEST, CALL);
    expect(server.received[0]!.authorization).toBe(`Bearer ${SENTINEL}`);
    expect(inspect(e, { depth: 10, showHidden: true })).not.toContain(SENTINEL);
    expect(JSON.stringify(e)).not.toContain(SENTINEL);
  });

  it('api_key_env: null sends a placeholder to a local server', async () => {
    const layer = new Endpoints({ cache: null, env: {} });
    const r = await layer.get({ base_url: server.url, api_key_env: null, concurrency: 4 }).chat(REQUEST, CALL);
    expect(r.ok).toBe(true);
    expect(server.received[0]!.authorization).toBe('Bearer no-key');
  });

  it('the key appears in no error message, even one where the server echoes it', async () => {
    server.next.push({ do: 'status', status: 401, message: `Incorrect API key provided: ${SENTINEL}` });
    const r = await endpoint().chat(REQUEST, CALL);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe(`endpoint ${server.url}, model test-model: 401 Incorrect API key provided: ***`);
  });
});

describe('endpoint client: cache', () => {
  let dir: string;
  let cache: ResponseCache;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twentyq-llm-cache-'));
    cache = new ResponseCache(join(dir, 'responses.sqlite'));
  });
  afterAll(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the second identical call makes no request and says it was cached', async () => {
    const e = endpoint({ cache });
    const first = await e.chat({ ...REQUEST, seed: 101 }, CALL);
    const second = await e.chat({ ...REQUEST, seed: 101 }, CALL);
    expect(server.received).toHaveLength(1);
    expect(first).toMatchObject({ ok: true, cached: false, attempts: 1 });
    expect(second).toMatchObject({ ok: true, cached: true, attempts: 0, text: (first as { text: string }).text, usage: USAGE });
    // and a new process (a new layer on the same file) finds it too
    const again = await endpoint({ cache }).chat({ ...REQUEST, seed: 101 }, CALL);
    expect(again.cached).toBe(true);
    expect(server.received).toHaveLength(1);
  });

  it('a sampled request is keyed by game seed and turn; a greedy one is not', async () => {
    const e = endpoint({ cache });
    const sampled = { ...REQUEST, temperature: 0.7, messages: [{ role: 'user' as const, content: 'sampled' }] };
    await e.chat(sampled, { ...CALL, position: { seed: 1, turn: 0 } });
    await e.chat(sampled, { ...CALL, position: { seed: 1, turn: 0 } });
    expect(server.received).toHaveLength(1);
    await e.chat(sampled, { ...CALL, position: { seed: 1, turn: 1 } });
    await e.chat(sampled, { ...CALL, position: { seed: 2, turn: 0 } });
    expect(server.received).toHaveLength(3);
    // temperature absent: the server samples, so it is keyed like a sampled one
    const { temperature: _, ...serverDefault } = sampled;
    await e.chat(serverDefault, { ...CALL, position: { seed: 1, turn: 0 } });
    await e.chat(serverDefault, { ...CALL, position: { seed: 3, turn: 0 } });
    expect(server.received).toHaveLength(5);
    // without a position a sampled request is never cached: its twins would all get one sample
    await e.chat(sampled, CALL);
    await e.chat(sampled, CALL);
    expect(server.received).toHaveLength(7);

    server.received.length = 0;
    const greedy = { ...REQUEST, messages: [{ role: 'user' as const, content: 'greedy' }] };
    await e.chat(greedy, { ...CALL, position: { seed: 1, turn: 0 } });
    const other = await e.chat(greedy, { ...CALL, position: { seed: 9, turn: 5 } });
    expect(other.cached).toBe(true);
    expect(server.received).toHaveLength(1);
  });

  it("a server started again on a port an earlier one had is known by its own cache id, not the earlier one's", async () => {
    // a launched server's port is any free one: a later server (other weights) may get an earlier one's
    const layer = new Endpoints({ cache, backoff: FAST, env: {} });
    const request = { ...REQUEST, messages: [{ role: 'user' as const, content: 'same port' }] };
    const old = layer.get({ base_url: server.url, api_key_env: null, concurrency: 4, cache_id: 'launch: serve old-weights' });
    expect((await old.chat(request, CALL)).cached).toBe(false);
    const later = layer.get({ base_url: server.url, api_key_env: null, concurrency: 4, cache_id: 'launch: serve new-weights' });
    expect(later).not.toBe(old);
    expect((await later.chat(request, CALL)).cached).toBe(false);
    expect(server.received).toHaveLength(2);
    // and the same server asked again is the same endpoint
    expect(layer.get({ base_url: server.url, api_key_env: null, concurrency: 4, cache_id: 'launch: serve new-weights' })).toBe(later);
  });

  it('identical requests in flight together make one request', async () => {
    const e = endpoint({ cache });
    server.always = { do: 'ok', delayMs: 50 };
    const request = { ...REQUEST, messages: [{ role: 'user' as const, content: 'together' }] };
    const results = await Promise.all(Array.from({ length: 5 }, () => e.chat(request, CALL)));
    expect(server.received).toHaveLength(1);
    expect(results.filter((r) => r.cached)).toHaveLength(4);
    expect(new Set(results.map((r) => r.ok && r.text)).size).toBe(1);
  });

  it('when the caller of a shared request aborts it, the one waiting on it asks itself', async () => {
    const ledger = new UsageLedger();
    const e = endpoint({ cache, ledger });
    server.next.push({ do: 'hang' });
    const request = { ...REQUEST, messages: [{ role: 'user' as const, content: 'first aborts' }] };
    const controller = new AbortController();
    const first = e.chat(request, { ...CALL, signal: controller.signal });
    const second = e.chat(request, { ...CALL, stage: 's', label: 'second' });
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    controller.abort(new Error('first gone'));
    await expect(first).rejects.toThrow('first gone');
    expect(await second).toMatchObject({ ok: true, cached: false, attempts: 1 });
    expect(server.received).toHaveLength(2);
    expect(ledger.figures('s').second).toMatchObject({ calls: 1, requests: 1 });
  });

  it('tool calls are stored and come back from the cache', async () => {
    const e = endpoint({ cache });
    const tools: ChatTool[] = [{ type: 'function', function: { name: 'guess', parameters: { type: 'object' } } }];
    const request = { ...REQUEST, messages: [{ role: 'user' as const, content: 'tools' }], tools };
    const first = await e.chat(request, CALL);
    const second = await e.chat(request, CALL);
    expect(server.received).toHaveLength(1);
    expect(second).toMatchObject({ cached: true, finish_reason: 'tool_calls' });
    expect(second.ok && second.tool_calls).toEqual(first.ok && first.tool_calls);
    expect(second.ok && second.tool_calls[0]!.function.name).toBe('guess');
  });

  it('failures are not cached', async () => {
    const e = endpoint({ cache });
    const request = { ...REQUEST, messages: [{ role: 'user' as const, content: 'fails once' }] };
    server.next.push({ do: 'status', status: 400 });
    expect((await e.chat(request, CALL)).ok).toBe(false);
    expect(await e.chat(request, CALL)).toMatchObject({ ok: true, cached: false });
    expect(server.received).toHaveLength(2);
  });

  it('the key is in no file the cache writes', async () => {
    await endpoint({ cache }).chat({ ...REQUEST, seed: 555 }, CALL);
    expect(server.received[0]!.authorization).toContain(SENTINEL);
    const files = readdirSync(dir);
    expect(files).toContain('responses.sqlite');
    for (const f of files) expect(readFileSync(join(dir, f)).includes(SENTINEL)).toBe(false);
  });
});

describe('endpoint client: accounting', () => {
  it('counts requests, hits, errors, tokens, cost and latencies of a known sequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-llm-usage-'));
    const cache = new ResponseCache(join(dir, 'responses.sqlite'));
    try {
      const ledger = new UsageLedger();
      const e = endpoint({ cache, ledger });
      const call = { ...CALL, stage: 'evaluate', label: 'api', price: { input: 2, output: 10 } };
      const ask = (content: string) => e.chat({ ...REQUEST, messages: [{ role: 'user', content }] }, call);
      await ask('one'); // 1 request
      server.next.push({ do: 'status', status: 500 });
      await ask('two'); // 2 requests
      const hit = await ask('one'); // cache hit
      server.next.push({ do: 'status', status: 400 });
      await ask('three'); // 1 request, failed
      const paid = await ask('four'); // 1 request
      await e.chat({ ...REQUEST, messages: [{ role: 'user', content: 'other' }] }, { ...CALL, stage: 'evaluate', label: 'llm' });

      expect(hit).toMatchObject({ cached: true, cost: 0 });
      expect(paid.cost).toBeCloseTo((40 * 2 + 6 * 10) / 1e6, 12);
      const f = ledger.figures('evaluate');
      expect(f.api).toMatchObject({ calls: 5, requests: 5, cache_hits: 1, errors: 1, prompt_tokens: 3 * 40, completion_tokens: 3 * 6 });
      expect(f.api!.cost).toBeCloseTo((120 * 2 + 18 * 10) / 1e6, 12);
      expect(f.api!.latency_p50_ms).toBeGreaterThan(0);
      expect(f.api!.latency_p95_ms).toBeGreaterThanOrEqual(f.api!.latency_p50_ms!);
      expect(f.llm).toMatchObject({ calls: 1, requests: 1, cost: null });
      expect(ledger.figures('generate')).toEqual({});
      expect(ledger.line('evaluate')).toMatch(/^api: 5 req, 1 hits, 138 tok, 1 errors, \$0\.00, p50 \d+ ms; llm: 1 req, 0 hits, 46 tok, p50 \d+ ms$/);
    } finally {
      cache.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
