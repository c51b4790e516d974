import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { renderPrompt } from '../../framework/game/chat.js';
import { DEFAULT_LIMITS, startServer, type RunningServer, type ServeLimits } from '../../framework/llm/serve/index.js';
import { JsonValueCounter } from '../../framework/llm/serve/http.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import type { Rules } from '../../framework/game/types.js';

const rules: Rules = { max_questions: 20, wrong_guess: 'continue' };
const { domain } = await PluginFactory.forDomain('animals90', rules, process.cwd());
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(limits: Partial<ServeLimits> = {}, apiKey?: string): Promise<RunningServer> {
  const server = await startServer({ domain: 'animals90', rules, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0, limits, ...(apiKey ? { apiKey } : {}) });
  servers.push(server);
  return server;
}

async function post(server: RunningServer, route: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const json = (await res.json()) as { error?: { message: string; code: string }; data?: unknown[] };
  return { status: res.status, json };
}

/** A game's conversation with n messages: the opening rendered, then questions and answers. */
function conversation(n: number): { role: string; content: string }[] {
  const messages = renderPrompt(domain, rules, []) as { role: string; content: string }[];
  while (messages.length < n) messages.push(messages.length % 2 === 0 ? { role: 'assistant', content: 'Is it a mammal?' } : { role: 'user', content: 'Yes.' });
  return messages.slice(0, n);
}

describe('twentyq serve: what one request may ask', () => {
  it('counts the JSON values of a body as it arrives, strings with commas, colons and escapes included', () => {
    const body = JSON.stringify({ model: 'x', input: ['a, b: {c}', 'd\\"e,[', 3, null, { f: [1, 2] }] });
    const counter = new JsonValueCounter();
    for (let i = 0; i < body.length; i += 7) counter.add(Buffer.from(body.slice(i, i + 7)));
    // the object, model and input (2 values), 5 items, f and its 2 items: 1 + 2 + 5 + 1 + 2, plus the map's own key/value marks
    const parsed = JSON.parse(body) as unknown;
    const count = (v: unknown): number => (Array.isArray(v) ? 1 + v.reduce((n: number, x) => n + count(x), 0) : v && typeof v === 'object' ? 1 + Object.values(v).reduce((n: number, x) => n + count(x), 0) : 1);
    // a colon marks a key's value; a comma or an opening bracket marks the next value (or key): at least the values, at most twice
    expect(counter.values).toBeGreaterThanOrEqual(count(parsed));
    expect(counter.values).toBeLessThanOrEqual(2 * count(parsed));
  });

  it('refuses each limit with its own status, naming the limit and its flag, and answers requests at the limit', async () => {
    const server = await serve({ max_messages: 12, max_inputs: 16, max_chars: 20_000, max_body_bytes: 64 * 1024 });
    const chat = (messages: unknown[]) => post(server, '/chat/completions', { model: 'infogain', messages });
    expect((await chat(conversation(12))).status).toBe(200);
    const many = await chat(conversation(14));
    expect([many.status, many.json.error!.code]).toEqual([400, 'too_many_messages']);
    expect(many.json.error!.message).toContain('at most 12 per request (--max-messages)');
    const long = await chat([...conversation(11), { role: 'user', content: 'Yes.' + ' '.repeat(25_000) }]);
    expect([long.status, long.json.error!.code]).toEqual([413, 'too_many_characters']);
    expect(long.json.error!.message).toMatch(/characters; this server takes at most 20000 per request \(--max-chars\)/);

    const embed = (input: string[]) => post(server, '/embeddings', { model: 'embed:hash', input });
    const atLimit = await embed(Array.from({ length: 16 }, (_, i) => `Is it number ${i}?`));
    expect([atLimit.status, atLimit.json.data!.length]).toEqual([200, 16]);
    const inputs = await embed(Array.from({ length: 17 }, () => 'x'));
    expect([inputs.status, inputs.json.error!.code]).toEqual([400, 'too_many_inputs']);
    expect(inputs.json.error!.message).toContain('at most 16 per request (--max-inputs): send them in batches');
    const chars = await embed(['y'.repeat(20_001)]);
    expect([chars.status, chars.json.error!.code, chars.json.error!.message.includes('--max-chars')]).toEqual([413, 'too_many_characters', true]);
    const big = await embed(['z'.repeat(70_000)]);
    expect([big.status, big.json.error!.code]).toEqual([413, 'body_too_large']);
    expect(big.json.error!.message).toContain(`over ${64 * 1024} bytes (--max-body-bytes)`);
    // after every refusal the server goes on serving
    expect((await fetch(`${server.url}/models`)).status).toBe(200);
  });

  it('refuses a body of 800,000 one-letter inputs while it arrives, before parsing it, and goes on serving', async () => {
    const server = await serve();
    const refused = await post(server, '/embeddings', { model: 'embed:hash', input: new Array(800_000).fill('a') });
    expect(refused.status).toBe(413);
    expect(refused.json.error!.code).toBe('too_many_values');
    expect(refused.json.error!.message).toContain(`--max-messages ${DEFAULT_LIMITS.max_messages} and --max-inputs ${DEFAULT_LIMITS.max_inputs}`);
    // the same shape as a chat request: a million empty messages
    const chat = await post(server, '/chat/completions', `{"model":"infogain","messages":[${new Array(600_000).fill('{}').join(',')}]}`);
    expect([chat.status, chat.json.error!.code]).toEqual([413, 'too_many_values']);
    expect(server.stats.rejected).toBe(2);
    expect((await post(server, '/embeddings', { model: 'embed:hash', input: ['still here?'] })).status).toBe(200);
  });

  it('gives other requests a turn within a long text to embed: /v1/models is answered before it ends', async () => {
    const server = await serve();
    // the client in a thread of its own: its event loop runs while the server's is busy. It asks for the
    // embeddings of four texts of 250,000 characters (little to write, much to compute); once the
    // response's head has come (the server then starts computing), it asks for /v1/models.
    const client = `
      const { parentPort, workerData } = require('node:worker_threads');
      const text = (i) => ('Does it live in water near the river number ' + i + '? ').repeat(5000).slice(0, 250000);
      (async () => {
        const order = [];
        const res = await fetch(workerData + '/embeddings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'embed:hash', input: [0, 1, 2, 3].map(text), encoding_format: 'base64' }) });
        const models = fetch(workerData + '/models').then((r) => r.json()).then(() => order.push('models'));
        await res.arrayBuffer();
        order.push('embeddings');
        await models;
        parentPort.postMessage(order);
      })();`;
    const worker = new Worker(client, { eval: true, workerData: server.url });
    const order = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(order).toEqual(['models', 'embeddings']);
  });

  it('gives its memory back after a burst of large legal requests (heap after a collection, against before)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const server = await serve();
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed / 2 ** 20;
    };
    const before = heap();
    // the burst comes from another process, so that only the server's memory is in this one
    const client = `
      const text = (i) => ('Does it live in water ' + i + '? ').repeat(16).slice(0, 400);
      const body = JSON.stringify({ model: 'embed:hash', input: Array.from({ length: 2048 }, (_, i) => text(i)) });
      (async () => {
        let vectors = 0;
        for (let round = 0; round < 3; round++) {
          const replies = await Promise.all(Array.from({ length: 8 }, () => fetch('${server.url}/embeddings', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.json())));
          vectors += replies.reduce((n, r) => n + r.data.length, 0);
        }
        console.log(vectors);
      })();`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', client], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += String(d)));
      child.once('exit', (code) => (code === 0 ? resolve(text.trim()) : reject(new Error(`client exited with ${code}`))));
    });
    expect(Number(out)).toBe(3 * 8 * 2048);
    const after = heap();
    // 24 responses of about 10 MB each went through; what stays is within a few MB of before
    expect(after - before).toBeLessThan(8);
  });
});

describe('twentyq serve: an API key', () => {
  it('is required on every route but /health, checked as a bearer token', async () => {
    const server = await serve({}, 'sekret-key');
    const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url.replace(/\/v1$/, '') + path, { headers });
    const none = await get('/v1/models');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await get('/v1/models', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get('/v1/models', { authorization: 'Bearer sekret-key' })).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
    expect((await post(server, '/embeddings', { model: 'embed:hash', input: ['x'] })).status).toBe(401);
    // the openai client sends its key as a bearer token
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sekret-key', maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'infogain', messages: renderPrompt(domain, rules, []) as never });
    expect(reply.choices[0]!.message.content).toMatch(/\?$/);
  });
});
