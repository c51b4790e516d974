import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findPython, PYTHON_PACKAGE_DIR } from '../../plugins/policies/trl/environment.js';
import { renderPrompt } from '../../framework/game/chat.js';
import { playGame } from '../../framework/game/engine.js';
import { DEFAULT_RULES, type Trajectory } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import type { GameEnvironment, Policy } from '../../framework/plugins/types.js';
import { serveEnvironment } from '../../framework/run/environment.js';
import { deriveSeed } from '../../framework/util/rng.js';
import { Regret } from '../../framework/game/regret.js';
import { turnRegretsFor } from '../../framework/stages/regret.js';

const post = async (url: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const render = { show_candidates: false };

async function setup() {
  const factory = await PluginFactory.forDomain('animals90', DEFAULT_RULES, process.cwd());
  // a noisy answerer draws from the game's own stream: the served game must have the seed playGame gets
  const answerer = await factory.create('answerer', { use: 'noisy', with: { p: 0.2 } });
  const reward = await factory.create('reward', 'efficiency');
  const expert = await factory.create('policy', { use: 'infogain', with: { epsilon: 0.3 } });
  return { domain: factory.domain, answerer, reward, expert };
}

let served: GameEnvironment | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('the environment served for a trainer that plays its own games (trl GRPO)', () => {
  it("a scripted client posting the moves of a game gets that game, its messages, and the reward plugin's score", async () => {
    const { domain, answerer, reward, expert } = await setup();
    const seed = 11;
    const recorded: Trajectory[] = [];
    served = await serveEnvironment({
      players: { domain, rules: DEFAULT_RULES, answerer, policyLabel: 'trl', answererLabel: 'noisy' },
      reward,
      render,
      seed,
      onGame: (game) => recorded.push(game),
    });
    for (const [key, n] of [
      ['zebra', 0],
      ['owl', 0],
      ['zebra', 1],
    ] as const) {
      // moves of an expert's game, then the game the engine plays with exactly these moves (a scripted
      // policy draws nothing from the game's stream) from the seed the environment derives for this key's n-th game
      const played = await playGame({ game: 0, seed: 100 + n, target: key }, { domain, rules: DEFAULT_RULES, policy: expert, answerer, policyLabel: 'expert' });
      const moves = played.turns.map((turn) => turn.move);
      const scripted: Policy = { act: (views) => views.map((view) => moves[view.turns.length]!) };
      const spec = { game: 0, seed: deriveSeed(seed, 'environment', key, n), target: key };
      const expected = await playGame(spec, { domain, rules: DEFAULT_RULES, policy: scripted, answerer, policyLabel: 'trl' });
      const reset = await post(`${served.url}/reset`, { key });
      expect(reset.status).toBe(200);
      expect(reset.body.messages).toEqual(renderPrompt(domain, DEFAULT_RULES, [], render));
      let last: Record<string, any> = {};
      for (let t = 0; t < expected.turns.length; t++) {
        const step = await post(`${served.url}/step`, { id: reset.body.id, reply: expected.turns[t]!.move.text });
        expect(step.status).toBe(200);
        // every answer is the next user message of the conversation as renderPrompt writes it
        expect(step.body.message).toEqual(renderPrompt(domain, DEFAULT_RULES, expected.turns.slice(0, t + 1), render).at(-1));
        expect(step.body.done).toBe(t === expected.turns.length - 1);
        last = step.body;
      }
      const game = recorded.at(-1)!;
      expect(game.turns.map((turn) => [turn.move.kind, turn.move.text, turn.answer])).toEqual(expected.turns.map((turn) => [turn.move.kind, turn.move.text, turn.answer]));
      expect([game.outcome, game.questions, game.invalid, game.seed]).toEqual([expected.outcome, expected.questions, expected.invalid, expected.seed]);
      expect(last).toMatchObject({ done: true, outcome: expected.outcome, questions: expected.questions, invalid: expected.invalid });
      expect(last.reward).toBe(reward.score(expected));
      expect(game.reward).toBe(last.reward);
    }
    expect(served.games).toBe(3);
  });

  it('games in flight at once advance independently; an unparseable reply is an invalid move', async () => {
    const { domain, answerer, reward } = await setup();
    served = await serveEnvironment({ players: { domain, rules: { max_questions: 3, wrong_guess: 'continue' }, answerer, policyLabel: 'trl' }, reward, render, seed: 1 });
    const a = await post(`${served.url}/reset`, { key: 'zebra' });
    const b = await post(`${served.url}/reset`, { key: 'owl' });
    expect(a.body.id).not.toBe(b.body.id);
    expect((await post(`${served.url}/step`, { id: b.body.id, reply: 'Is it an owl?' })).body).toMatchObject({ done: true, outcome: 'win', questions: 1, reward: reward.score({ outcome: 'win', questions: 1 } as Trajectory) });
    expect((await post(`${served.url}/step`, { id: a.body.id, reply: '' })).body.message.content).toMatch(/^That is not a yes\/no question or a guess/);
    await post(`${served.url}/step`, { id: a.body.id, reply: 'Is it an owl?' });
    expect((await post(`${served.url}/step`, { id: a.body.id, reply: 'Does it have stripes?' })).body).toMatchObject({ done: true, outcome: 'loss', questions: 3, invalid: 1 });
  });

  it("with the trainer's step, games are numbered per step: a resumed stage plays new games, the same ones on a rerun", async () => {
    const { domain, answerer, reward } = await setup();
    const seeds = async (requests: Record<string, unknown>[]): Promise<number[]> => {
      const recorded: Trajectory[] = [];
      const env = await serveEnvironment({ players: { domain, rules: DEFAULT_RULES, answerer, policyLabel: 'trl' }, reward, render, seed: 5, onGame: (g) => recorded.push(g) });
      try {
        for (const request of requests) {
          const { body } = await post(`${env.url}/reset`, request);
          await post(`${env.url}/step`, { id: body.id, reply: 'Is it a zebra?' });
        }
      } finally {
        await env.close();
      }
      return recorded.map((g) => g.seed);
    };
    const stepped = await seeds([
      { key: 'zebra', step: 3 },
      { key: 'zebra', step: 3 },
      { key: 'zebra', step: 4 },
    ]);
    expect(stepped).toEqual([deriveSeed(5, 'environment', 'zebra', 3, 0), deriveSeed(5, 'environment', 'zebra', 3, 1), deriveSeed(5, 'environment', 'zebra', 4, 0)]);
    // a stage resumed at step 3 does not replay the games its first run played from step 0
    expect(
      new Set([
        ...stepped,
        ...(await seeds([
          { key: 'zebra', step: 0 },
          { key: 'zebra', step: 0 },
        ])),
      ]).size,
    ).toBe(5);
    expect(await seeds([{ key: 'zebra', step: 3 }])).toEqual(stepped.slice(0, 1));
    const env = await serveEnvironment({ players: { domain, rules: DEFAULT_RULES, answerer, policyLabel: 'trl' }, reward, render, seed: 5 });
    try {
      expect(await post(`${env.url}/reset`, { key: 'zebra', step: -1 })).toMatchObject({ status: 400, body: { error: expect.stringContaining('step -1') } });
    } finally {
      await env.close();
    }
  });

  it("sends each turn's exact regret with a game's last answer where the answerer answers from the table (kb), and none otherwise", async () => {
    const factory = await PluginFactory.forDomain('animals90', DEFAULT_RULES, process.cwd());
    const { domain } = factory;
    const [kb, noisy, reward, optimal, expert] = await Promise.all([
      factory.create('answerer', 'kb'),
      factory.create('answerer', { use: 'noisy', with: { p: 0.2 } }),
      factory.create('reward', 'efficiency'),
      factory.create('policy', 'optimal'),
      factory.create('policy', { use: 'infogain', with: { epsilon: 0.5 } }),
    ]);
    expect(turnRegretsFor(noisy, domain, DEFAULT_RULES)).toBeUndefined();
    const regrets = turnRegretsFor(kb, domain, DEFAULT_RULES)!;
    const exact = new Regret(domain, { rules: DEFAULT_RULES, semantics: 'say', meaning: kb.reads!.bind(kb) });
    served = await serveEnvironment({ players: { domain, rules: DEFAULT_RULES, answerer: kb, policyLabel: 'trl', answererLabel: 'kb' }, reward, render, seed: 3, regrets });
    const totals: number[] = [];
    for (const [policy, target, seed] of [
      [optimal, 'zebra', 5],
      [expert, 'owl', 6],
      [expert, 'crab', 7],
    ] as const) {
      const played = await playGame({ game: 0, seed, target }, { domain, rules: DEFAULT_RULES, policy, answerer: kb, policyLabel: 'p' });
      const { body } = await post(`${served.url}/reset`, { key: target });
      let last: Record<string, any> = {};
      for (const turn of played.turns) last = (await post(`${served.url}/step`, { id: body.id, reply: turn.move.text })).body;
      expect(last.done).toBe(true);
      expect(last.regrets).toEqual(exact.turns(played.turns).map((t) => Math.round(t.regret * 1e6) / 1e6));
      totals.push(last.regrets.reduce((a: number, b: number) => a + b, 0));
    }
    // the optimal game costs nothing; the noisy expert (half its questions at random) loses something
    expect(totals[0]).toBe(0);
    expect(totals[1]! + totals[2]!).toBeGreaterThan(0);
    expect(served.games).toBe(3);
  });

  it('errors are HTTP errors with a message', async () => {
    const { domain, answerer, reward } = await setup();
    served = await serveEnvironment({ players: { domain, rules: DEFAULT_RULES, answerer, policyLabel: 'trl' }, reward, render, seed: 1 });
    expect(await post(`${served.url}/reset`, { key: 'unicorn' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('unicorn') } });
    expect(await post(`${served.url}/step`, { id: 'g99', reply: 'Is it big?' })).toMatchObject({ status: 404, body: { error: expect.stringContaining('POST /reset') } });
    const res = await fetch(`${served.url}/reset`, { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
  });
});

describe('the environment in batches (one request a turn for every live game)', () => {
  it("answers each item as its own request would, in order, an item's failure as its error; the Python client reads them", async () => {
    const { domain, answerer, reward } = await setup();
    const recorded: Trajectory[] = [];
    served = await serveEnvironment({ players: { domain, rules: DEFAULT_RULES, answerer, policyLabel: 'trl' }, reward, render, seed: 3, onGame: (g) => recorded.push(g) });
    const started = await post(`${served.url}/reset`, {
      games: [
        { key: 'zebra', step: 0 },
        { key: 'owl', step: 0 },
      ],
    });
    expect(started.status).toBe(200);
    const [zebra, owl] = started.body.results as { id: string; messages: unknown[] }[];
    expect(zebra!.messages).toEqual(renderPrompt(domain, DEFAULT_RULES, [], render));
    const moved = await post(`${served.url}/step`, {
      steps: [
        { id: zebra!.id, reply: 'Is it a zebra?' },
        { id: 'g999', reply: 'Is it big?' },
        { id: owl!.id, reply: 'Does it have stripes?' },
      ],
    });
    const [won, missing, goesOn] = moved.body.results as Record<string, unknown>[];
    expect(won).toMatchObject({ done: true, outcome: 'win', questions: 1 });
    expect(missing).toEqual({ error: 'no game "g999" is open: start one with POST /reset', status: 404 });
    expect(goesOn).toMatchObject({ done: false, message: { role: 'user', content: 'No.' } });
    expect(recorded.map((g) => g.target)).toEqual(['zebra']);
    expect((await post(`${served.url}/step`, { steps: [] })).body).toEqual({ error: 'steps must be a non-empty list' });

    // the trainer's client, for real: two games in one request, then their moves in one
    const script = [
      'import sys',
      'from twentyq_trl.envclient import EnvClient, EnvError',
      'env = EnvClient(sys.argv[1])',
      'games = env.reset_many([("lion", 1), ("bee", 1)])',
      'answers = env.step_many([(games[0][0], "Is it a lion?"), (games[1][0], "Is it a lion?")])',
      'print([a["done"] for a in answers], answers[0]["outcome"], answers[1]["message"]["content"])',
      'try:',
      '    env.step_many([("g999", "Is it big?")])',
      'except EnvError as e:',
      '    print(e)',
    ].join('\n');
    // not spawnSync: the server answering the client lives in this process
    const r = await promisify(execFile)(findPython(), ['-c', script, served.url], { env: { ...process.env, PYTHONPATH: PYTHON_PACKAGE_DIR }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['[True, False] win No.', 'environment /step: item 0 of the batch: HTTP 404: no game "g999" is open: start one with POST /reset']);
  });
});
