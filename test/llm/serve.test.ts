import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { answererPrompt, readAnswer, readMove, renderAnswererPrompt, renderPrompt } from '../../framework/game/chat.js';
import type { Candidate } from '../../framework/game/domain.js';
import { playGames } from '../../framework/game/engine.js';
import { gameTools, moveFromToolCall, renderToolPrompt } from '../../framework/game/tools.js';
import type { Answer, Move, Rules, Trajectory, Turn } from '../../framework/game/types.js';
import { GARBLED_TEXT } from '../../framework/llm/faults.js';
import { cosine, hashEmbedding } from '../../framework/llm/embed.js';
import { startServer, type RunningServer, type ServeOptions } from '../../framework/llm/serve/index.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import type { Policy, TrainablePolicy } from '../../framework/plugins/types.js';

const rules: Rules = { max_questions: 20, wrong_guess: 'continue' };
const factory = await PluginFactory.forDomain('animals90', rules, process.cwd());
const { domain } = factory;
const kb = await factory.create('answerer', 'kb');
const specs = domain.candidates.map((c, i) => ({ game: i, seed: 500 + i, target: c.id }));

const servers: RunningServer[] = [];
async function serve(options: Partial<ServeOptions> = {}): Promise<{ server: RunningServer; client: OpenAI }> {
  const server = await startServer({ domain: 'animals90', rules, policy: 'infogain', answerer: 'kb', baseDir: process.cwd(), port: 0, ...options });
  servers.push(server);
  return { server, client: new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 }) };
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

interface Mode {
  tools: boolean;
  stream: boolean;
}

/** One move asked of the served questioner, the way an `api` policy asks it: the game rendered by chat.ts, the reply parsed back. */
async function askMove(client: OpenAI, model: string, turns: readonly Turn[], mode: Mode, seed?: number): Promise<{ move: Move; completion: ChatCompletion }> {
  const messages = (mode.tools ? renderToolPrompt(domain, rules, turns) : renderPrompt(domain, rules, turns)) as ChatCompletionMessageParam[];
  const body = { model, messages, ...(mode.tools ? { tools: gameTools(domain) } : {}), ...(seed === undefined ? {} : { seed }) };
  const completion = mode.stream ? await client.chat.completions.stream({ ...body, stream_options: { include_usage: true } }).finalChatCompletion() : await client.chat.completions.create(body);
  const message = completion.choices[0]!.message;
  const call = message.tool_calls?.[0];
  if (call && call.type !== 'function') throw new Error('not a function call');
  return { move: call ? moveFromToolCall(call, domain) : readMove(message.content ?? '', domain), completion };
}

/** A whole game with the client as the game loop: moves from the server, answers from kb, guesses settled by the target. */
async function playOverHttp(client: OpenAI, model: string, target: Candidate, mode: Mode, seed?: number): Promise<{ turns: Turn[]; finishes: string[] }> {
  const turns: Turn[] = [];
  const finishes: string[] = [];
  for (;;) {
    const { move, completion } = await askMove(client, model, turns, mode, seed);
    finishes.push(completion.choices[0]!.finish_reason);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    if (move.kind === 'invalid') turns.push({ move });
    else if (move.kind === 'guess') turns.push({ move, answer: move.candidate === target.id ? 'yes' : 'no' });
    else turns.push({ move, answer: (await kb.answer(move, target, turns, undefined as never)) as Answer });
    const last = turns.at(-1)!;
    if ((last.move.kind === 'guess' && last.answer === 'yes') || turns.length >= rules.max_questions) return { turns, finishes };
  }
}

async function engineGames(policy: Policy): Promise<Trajectory[]> {
  return playGames(specs, { domain, rules, policy, answerer: kb, policyLabel: 'engine' });
}

describe('twentyq serve: the questioner', () => {
  let client: OpenAI;
  let server: RunningServer;
  let expected: Trajectory[];
  beforeAll(async () => {
    ({ client, server } = await serve());
    expected = await engineGames(await factory.create('policy', 'infogain'));
  });

  it('lists the served models: the policy by its label, the answerer as answerer:<label>', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => [m.id, m.object, m.owned_by])).toEqual([
      ['infogain', 'model', 'twentyq'],
      ['answerer:kb', 'model', 'twentyq'],
      ['embed:hash', 'model', 'twentyq'],
    ]);
    expect(server.models).toEqual(['infogain', 'answerer:kb']);
  });

  it("answers POST /v1/embeddings in OpenAI's shape with a deterministic, L2-normalised embedding (embed:hash)", async () => {
    const input = ['Is it a mammal?\nDoes it live in water?', 'Does it have stripes?', ''];
    const a = await client.embeddings.create({ model: 'embed:hash', input, encoding_format: 'float' });
    expect(a.object).toBe('list');
    expect(a.model).toBe('embed:hash');
    expect(a.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 256],
      ['embedding', 1, 256],
      ['embedding', 2, 256],
    ]);
    // usage: characters / 4 of each input, rounded up, as for chat completions (39 and 21 characters)
    expect(a.usage).toEqual({ prompt_tokens: 10 + 6, total_tokens: 10 + 6 });
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    expect(norm(a.data[0]!.embedding)).toBeCloseTo(1, 12);
    expect(norm(a.data[2]!.embedding)).toBe(0);
    // the same text, the same vector, alone or in a batch; case does not matter
    const b = await client.embeddings.create({ model: 'embed:hash', input: 'does it have STRIPES?' });
    expect(b.data).toHaveLength(1);
    // asked without encoding_format, the openai client gets base64 float32 and decodes it
    expect(b.data[0]!.embedding).toEqual(a.data[1]!.embedding.map((x) => Math.fround(x)));
    expect(hashEmbedding('Does it have stripes?')).toEqual(a.data[1]!.embedding);
    // shared words make the cosine positive; it is 1 with itself
    expect(cosine(a.data[0]!.embedding, hashEmbedding('Is it a mammal?'))).toBeGreaterThan(0.3);
    expect(cosine(a.data[1]!.embedding, b.data[0]!.embedding)).toBeCloseTo(1, 6);
    const raw = await fetch(`${server.url}/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'gpt-x', input: 'a' }) });
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { error: { message: string } }).error.message).toContain('embed:hash');
    const bad = await fetch(`${server.url}/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'embed:hash', input: [1, 2] }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`${server.url}/embeddings`)).status).toBe(405);
  });

  for (const mode of [
    { tools: false, stream: false },
    { tools: false, stream: true },
    { tools: true, stream: false },
    { tools: true, stream: true },
  ]) {
    it(`plays infogain's own games for all 90 targets (${mode.tools ? 'tool calls' : 'text'}, ${mode.stream ? 'streaming' : 'whole replies'})`, async () => {
      const before = server.stats.completions;
      let requests = 0;
      for (const [i, game] of expected.entries()) {
        const { turns, finishes } = await playOverHttp(client, 'infogain', domain.candidate(game.target), mode, mode.stream ? game.seed : undefined);
        expect(turns).toEqual(game.turns);
        expect(turns.at(-1)!.answer === 'yes' ? 'win' : 'loss').toBe(game.outcome);
        expect(new Set(finishes)).toEqual(new Set([mode.tools ? 'tool_calls' : 'stop']));
        requests += turns.length;
        if (i === 0) expect(game.outcome).toBe('win');
      }
      expect(server.stats.completions - before).toBe(requests);
    });
  }

  it('replies with the same move to the same request: from its seed, else from the conversation', async () => {
    const { client: sampling } = await serve({ policy: { use: 'infogain', with: { temperature: 2 } } });
    const model = 'infogain(temperature=2)';
    const opening = { tools: false, stream: false };
    const first = async (seed?: number) => (await askMove(sampling, model, [], opening, seed)).move.text;
    const seeded = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((s) => first(s)));
    expect(await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((s) => first(s)))).toEqual(seeded);
    expect(new Set(seeded).size).toBeGreaterThan(1); // the seed does choose the draw
    const unseeded = await first();
    for (let i = 0; i < 5; i++) expect(await first()).toBe(unseeded);
  });

  it('serves a trained local checkpoint, playing exactly its games', async () => {
    const policy = (await factory.fresh('policy', { use: 'local', with: { hidden: [24], init_seed: 11 } })) as TrainablePolicy;
    const file = join(mkdtempSync(join(tmpdir(), 'twentyq-serve-')), 'policy.ckpt.json');
    policy.save(file, {});
    const { client: local } = await serve({ policy: { use: 'local', with: { checkpoint: file }, label: 'trained' } });
    const games = await engineGames(policy);
    for (const game of games.slice(0, 30)) {
      expect((await playOverHttp(local, 'trained', domain.candidate(game.target), { tools: true, stream: false })).turns).toEqual(game.turns);
    }
  });

  it('streams OpenAI chunks: role, content, finish_reason, usage only when asked, then [DONE]', async () => {
    const messages = renderPrompt(domain, rules, []) as ChatCompletionMessageParam[];
    const collect = async (include_usage: boolean) => {
      const chunks = [];
      for await (const chunk of await client.chat.completions.create({ model: 'infogain', messages, stream: true, stream_options: { include_usage } })) chunks.push(chunk);
      return chunks;
    };
    const withUsage = await collect(true);
    expect(withUsage[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(withUsage.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(expected[0]!.turns[0]!.move.text);
    expect(withUsage.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(withUsage.at(-1)!.choices).toEqual([]);
    expect(withUsage.at(-1)!.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const without = await collect(false);
    expect(without.some((c) => c.usage)).toBe(false);
    expect(without.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    // the wire format itself: server-sent events ending with [DONE]
    const raw = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'infogain', messages, stream: true }) });
    expect(raw.headers.get('content-type')).toBe('text/event-stream');
    expect((await raw.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('counts usage as characters / 4 of the prompt and of the reply', async () => {
    const messages = renderPrompt(domain, rules, expected[0]!.turns.slice(0, 2));
    const completion = await client.chat.completions.create({ model: 'infogain', messages: messages });
    const reply = completion.choices[0]!.message.content!;
    expect(completion.usage).toEqual({
      prompt_tokens: Math.ceil(messages.map((m) => m.content).join('\n').length / 4),
      completion_tokens: Math.ceil(reply.length / 4),
      total_tokens: Math.ceil(messages.map((m) => m.content).join('\n').length / 4) + Math.ceil(reply.length / 4),
    });
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'infogain', id: expect.stringMatching(/^chatcmpl-/), created: expect.any(Number) });
  });

  it('holds a served code policy to the contract as the engine does: a guess of no candidate id or a move of no kind is a 500 naming the policy and the rule', async () => {
    const messages = renderPrompt(domain, rules, []) as ChatCompletionMessageParam[];
    for (const [breaks, said] of [
      ['guess', /the served policy guessed "unicorn": a guess names a candidate of animals90 by its id/],
      ['kind', /the served policy returned .*"ask".* as its move, which is none/],
    ] as const) {
      const { client: broken } = await serve({ policy: { use: './test/fixtures/plugins/broken-policy.js', with: { breaks }, label: 'broken' } });
      const first = await broken.chat.completions.create({ model: 'broken', messages });
      const asked = first.choices[0]!.message.content!;
      const next = [...messages, { role: 'assistant' as const, content: asked }, { role: 'user' as const, content: 'Yes.' }];
      const error = await broken.chat.completions.create({ model: 'broken', messages: next }).then(
        () => undefined,
        (e: unknown) => e as APIError,
      );
      expect(error?.status).toBe(500);
      expect(error?.message).toMatch(said);
    }
  });

  it('answers an unknown model with 404 and a bad request with 400, in OpenAI error format', async () => {
    const messages = renderPrompt(domain, rules, []) as ChatCompletionMessageParam[];
    const failure = async (request: Promise<unknown>) => {
      const error = await request.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(APIError);
      return error as APIError;
    };
    const notFound = await failure(client.chat.completions.create({ model: 'gpt-9', messages }));
    expect(notFound.status).toBe(404);
    expect(notFound.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', message: expect.stringContaining('infogain, answerer:kb') });
    const outOfOrder = await failure(client.chat.completions.create({ model: 'infogain', messages: [messages[0]!, { role: 'assistant', content: 'Is it a cat?' }] }));
    expect(outOfOrder.status).toBe(400);
    expect(outOfOrder.message).toMatch(/expected the opening user message/);
    const won = renderPrompt(domain, rules, expected[0]!.turns) as ChatCompletionMessageParam[];
    expect((await failure(client.chat.completions.create({ model: 'infogain', messages: won }))).message).toMatch(/the game is over \(the last guess was right\)/i);
    const badAnswer = [...messages, { role: 'assistant' as const, content: 'Is it a mammal?' }, { role: 'user' as const, content: 'Who knows' }];
    expect((await failure(client.chat.completions.create({ model: 'infogain', messages: badAnswer }))).message).toMatch(/"Who knows" .* is not an answer/);

    const post = (body: string) => fetch(`${server.url}/chat/completions`, { method: 'POST', body });
    const notJson = await post('{"model": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json', message: expect.stringContaining('not JSON') } });
    expect(await (await post(JSON.stringify({ messages }))).json()).toMatchObject({ error: { message: expect.stringContaining('"model" is required') } });
    expect((await post(JSON.stringify({ model: 'infogain', messages: 'hello' }))).status).toBe(400);
    const numbered = await post(JSON.stringify({ model: 'infogain', messages: [{ role: 'system', content: 7 }, ...messages.slice(1)] }));
    expect(numbered.status).toBe(400);
    expect(await numbered.json()).toMatchObject({ error: { message: 'messages: message 0: content must be a string or a list of text parts' } });
    const noRoute = await fetch(`${server.url}/completions`);
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('twentyq serve: the answerer', () => {
  it('answers exactly as kb, every attribute of every animal, guesses settled by the secret', async () => {
    const { client } = await serve();
    const ask = async (target: Candidate, question: string, history: Turn[] = []) => {
      const messages = renderAnswererPrompt(domain, target, history, question) as ChatCompletionMessageParam[];
      return (await client.chat.completions.create({ model: 'answerer:kb', messages })).choices[0]!.message.content;
    };
    const word = { yes: 'Yes.', no: 'No.', unknown: "I don't know." };
    const freeForm = ['Does it have a long neck?', 'Is it a unicorn?', 'Would it fit in a shoebox?'];
    for (const target of domain.candidates) {
      const replies = await Promise.all([...domain.attributes.map((a) => a.question), ...freeForm].map((q) => ask(target, q)));
      const truth = await Promise.all(
        [...domain.attributes.map((a) => ({ kind: 'question' as const, text: a.question, attribute: a.id })), ...freeForm.map((text) => ({ kind: 'question' as const, text }))].map(async (q) => kb.answer(q, target, [], undefined as never)),
      );
      expect(replies).toEqual(truth.map((a) => word[a as Answer]));
      expect(await ask(target, `Is it ${target.name}?`)).toBe('Yes.');
    }
    const zebra = domain.candidate('zebra');
    expect(await ask(zebra, 'Is it a horse?', [{ move: { kind: 'question', text: 'Does it have stripes?' }, answer: 'yes' }])).toBe('No.');
    expect(answererPrompt(domain, zebra)).toContain('zebra');
  });

  it('refuses a conversation whose system prompt names no secret', async () => {
    const { client } = await serve();
    const error = await client.chat.completions
      .create({
        model: 'answerer:kb',
        messages: [
          { role: 'system', content: 'You are a child.' },
          { role: 'user', content: 'Does it fly?' },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/names no animal/) });
  });
});

describe('twentyq serve: faults on purpose', () => {
  const opening = renderPrompt(domain, rules, []) as ChatCompletionMessageParam[];
  /** The outcome of each of n requests as the client sees it: a status, 'reset', or 'ok'. */
  async function outcomes(client: OpenAI, n: number, onError?: (e: APIError) => void): Promise<(number | 'reset' | 'ok')[]> {
    const out: (number | 'reset' | 'ok')[] = [];
    for (let i = 0; i < n; i++) {
      try {
        await client.chat.completions.create({ model: 'infogain', messages: opening });
        out.push('ok');
      } catch (error) {
        if (error instanceof APIConnectionError) out.push('reset');
        else if (error instanceof APIError) {
          onError?.(error);
          out.push(error.status);
        } else throw error;
      }
    }
    return out;
  }
  const share = (xs: unknown[], x: unknown) => xs.filter((y) => y === x).length / xs.length;

  it('fails at --fail-rate with the statuses given, a 429 with Retry-After: 1, the same faults for the same seed', async () => {
    const faults = { seed: 4, fail_rate: 0.3, fail_status: [429, 500, 503] as const };
    const { client, server } = await serve({ faults: { ...faults, fail_status: [...faults.fail_status] } });
    const retryAfter: (string | null)[] = [];
    const seen = await outcomes(client, 300, (e) => e.status === 429 && retryAfter.push(e.headers?.get('retry-after') ?? null));
    expect(share(seen, 'ok')).toBeGreaterThan(0.6);
    expect(share(seen, 'ok')).toBeLessThan(0.8);
    for (const status of faults.fail_status) expect(share(seen, status)).toBeGreaterThan(0.05);
    expect(retryAfter.length).toBe(seen.filter((s) => s === 429).length);
    expect(new Set(retryAfter)).toEqual(new Set(['1']));
    expect(server.stats.failed).toBe(seen.filter((s) => s !== 'ok').length);
    const { client: again } = await serve({ faults: { ...faults, fail_status: [...faults.fail_status] } });
    expect(await outcomes(again, 300)).toEqual(seen);
  });

  it('drops connections at --drop-rate: the client sees a reset, and retries get through', async () => {
    const { client, server } = await serve({ faults: { seed: 9, drop_rate: 0.25 } });
    const seen = await outcomes(client, 200);
    expect(share(seen, 'reset')).toBeGreaterThan(0.15);
    expect(share(seen, 'reset')).toBeLessThan(0.35);
    expect(seen.every((s) => s === 'ok' || s === 'reset')).toBe(true);
    expect(server.stats.dropped).toBe(seen.filter((s) => s === 'reset').length);
    const retrying = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 5 });
    for (let i = 0; i < 20; i++) expect((await retrying.chat.completions.create({ model: 'infogain', messages: opening })).choices[0]!.message.content).toBe('Does it live in groups?');
  });

  it('garbles replies at --garble-rate: a 200 whose text is not a move, with tools or without', async () => {
    const { client, server } = await serve({ faults: { seed: 2, garble_rate: 0.3 } });
    const moves: Move[] = [];
    for (let i = 0; i < 200; i++) {
      const mode = { tools: i % 2 === 1, stream: i % 4 >= 2 };
      const { move, completion } = await askMove(client, 'infogain', [], mode);
      if (move.kind === 'invalid') {
        expect(completion.choices[0]!).toMatchObject({ finish_reason: 'stop', message: { content: GARBLED_TEXT } });
        expect(completion.choices[0]!.message.tool_calls ?? []).toEqual([]);
      }
      moves.push(move);
    }
    const invalid = moves.filter((m) => m.kind === 'invalid').length / moves.length;
    expect(invalid).toBeGreaterThan(0.2);
    expect(invalid).toBeLessThan(0.4);
    expect(server.stats.garbled).toBe(moves.filter((m) => m.kind === 'invalid').length);
    expect(moves.filter((m) => m.kind !== 'invalid').every((m) => m.text === 'Does it live in groups?')).toBe(true);
    // the answerer's garbled replies are no answer either
    const messages = renderAnswererPrompt(domain, domain.candidate('zebra'), [], 'Does it have stripes?') as ChatCompletionMessageParam[];
    const replies = await Promise.all(Array.from({ length: 100 }, () => client.chat.completions.create({ model: 'answerer:kb', messages })));
    const answers = replies.map((r) => readAnswer(r.choices[0]!.message.content!));
    expect(share(answers, undefined)).toBeGreaterThan(0.15);
    expect(share(answers, undefined)).toBeLessThan(0.45);
    expect(answers.every((a) => a === undefined || a === 'yes')).toBe(true);
  });

  it('delays every completion by --latency-ms', async () => {
    const { client } = await serve({ faults: { latency_ms: 150 } });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await client.chat.completions.create({ model: 'infogain', messages: opening });
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    }
  });
});
