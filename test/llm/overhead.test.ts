import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResponseCache } from '../../framework/llm/cache.js';
import { Endpoints, type Endpoint } from '../../framework/llm/client.js';
import { UsageLedger } from '../../framework/llm/usage.js';
import { packagePath } from '../../framework/util/paths.js';

// A measurement, printed rather than asserted (timings depend on the machine): the CPU time this
// process spends per request through the endpoint layer (the openai client and Node's fetch
// included), against the fake endpoint running in another process so that its CPU is not counted.
let server: ChildProcess;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'twentyq-llm-overhead-'));

beforeAll(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', packagePath('test/fixtures/llm/fake-endpoint-main.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', resolve));
});
afterAll(() => {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const request = (i: number, prefix: string) => ({
  model: 'm',
  messages: [
    { role: 'system' as const, content: 'You are playing 20 questions.' },
    { role: 'user' as const, content: `${prefix} question ${i}` },
  ],
  temperature: 0,
  max_tokens: 16,
});

/** CPU milliseconds and wall-clock rate per call for `n` calls, `inFlight` at a time. */
async function measure(n: number, inFlight: number, call: (i: number) => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  let next = 0;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < n) await call(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000 / n, wall: (performance.now() - wall) / n };
}

it('measures the CPU time per request (printed): the layer beside Node fetch and the openai client alone', async () => {
  const N = 1500;
  const cache = new ResponseCache(join(dir, 'responses.sqlite'));
  const ledger = new UsageLedger();
  const client = new OpenAI({ baseURL: url, apiKey: 'no-key', maxRetries: 0 });
  const bare = new Endpoints({ cache: null, ledger, env: {} }).get({ base_url: url, api_key_env: null, concurrency: 64 });
  const cached = new Endpoints({ cache, ledger, env: {} }).get({ base_url: url, api_key_env: null, concurrency: 64 });
  const through = (endpoint: Endpoint, prefix: string) => async (i: number) => {
    const r = await endpoint.chat(request(i, prefix), { timeout: 10, max_retries: 2, stage: 'bench', label: prefix, price: { input: 1, output: 2 } });
    if (!r.ok) throw new Error(r.error);
  };
  const fetchOnly = (i: number) => fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request(i, 'fetch')) }).then((r) => r.json());
  const openaiOnly = (i: number) => client.chat.completions.create(request(i, 'openai'));
  // warm up every path first: the first requests pay for compilation and connections
  for (const path of [fetchOnly, openaiOnly, through(bare, 'warm')]) await measure(300, 32, path);
  const rows = {
    'Node fetch alone': await measure(N, 32, fetchOnly),
    'openai client alone': await measure(N, 32, openaiOnly),
    'layer, no cache': await measure(N, 32, through(bare, 'nocache')),
    'layer, cache miss + store': await measure(N, 32, through(cached, 'cache')),
    'layer, cache hit': await measure(N, 32, through(cached, 'cache')),
  };
  cache.close();
  console.log(`endpoint layer: CPU of this process per request, ${N} requests, 32 in flight, the server in another process`);
  for (const [name, m] of Object.entries(rows)) console.log(`  ${name.padEnd(26)} ${m.cpu.toFixed(3)} ms CPU  ${(1000 / m.wall).toFixed(0).padStart(6)} req/s`);
  expect(ledger.figures('bench').cache).toMatchObject({ requests: N, cache_hits: N });
});
