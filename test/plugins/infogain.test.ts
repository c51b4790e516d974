import { describe, expect, it } from 'vitest';
import { Belief, informationGain, members, split, truthMasks } from '../../framework/game/belief.js';
import { playGames } from '../../framework/game/engine.js';
import type { GameView, Turn } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { optimalTree } from '../../framework/game/tree.js';
import { Rng, deriveSeed } from '../../framework/util/rng.js';
import { InfogainPolicy } from '../../plugins/policies/infogain.js';
import { animals90, tinyDomain } from '../helpers.js';

const tiny = tinyDomain();
const view = (turns: Turn[]): GameView => ({ turns, rules: { max_questions: 20, wrong_guess: 'continue' }, rng: new Rng(1), memo: new Map() });

describe('information gain', () => {
  it('is the entropy of the answer when no fact is unknown', () => {
    expect(informationGain(4, 2, 2, 0)).toBeCloseTo(1, 12);
    // 1 of 4 says yes: H(1/4) = 0.25 log2 4 + 0.75 log2(4/3)
    expect(informationGain(4, 1, 3, 0)).toBeCloseTo(0.811278, 6);
    expect(informationGain(4, 4, 0, 0)).toBe(0);
    expect(informationGain(1, 1, 0, 0)).toBe(0);
  });

  it('keeps candidates with an unknown fact on both sides', () => {
    // 4 candidates: 1 yes, 1 no, 2 unknown. yes -> 3 left, no -> 3 left, unknown -> 4 left.
    // gain = 2 - (1*log2 3 + 1*log2 3 + 2*log2 4) / 4 = 2 - (2*1.58496 + 4) / 4 = 0.20752
    expect(informationGain(4, 1, 1, 2)).toBeCloseTo(0.207519, 6);
  });

  it('splits the hand-worked domain as expected', () => {
    const masks = truthMasks(tiny);
    const belief = new Belief(tiny);
    const { set, count } = belief.consistent();
    expect(count).toBe(4);
    expect(split(masks, set, count, tiny.attributeIndexOf('big')!)).toEqual({ yes: 2, no: 2, unknown: 0 });
    expect(split(masks, set, count, tiny.attributeIndexOf('stripes')!)).toEqual({ yes: 2, no: 2, unknown: 0 });
    // water: fish yes, zebra and horse no, bee unknown
    expect(split(masks, set, count, tiny.attributeIndexOf('water')!)).toEqual({ yes: 1, no: 2, unknown: 1 });
  });

  it('narrows the candidates with each answer, and drops wrong guesses', () => {
    const belief = new Belief(tiny);
    belief.update([{ move: { kind: 'question', text: 'Is it big?', attribute: 'big' }, answer: 'no' }]);
    expect(members(belief.consistent().set).map((c) => tiny.candidates[c]!.id)).toEqual(['fish', 'bee']);
    belief.update([
      { move: { kind: 'question', text: 'Is it big?', attribute: 'big' }, answer: 'no' },
      { move: { kind: 'guess', text: 'Is it a fish?', candidate: 'fish' }, answer: 'no' },
    ]);
    expect(members(belief.consistent().set).map((c) => tiny.candidates[c]!.id)).toEqual(['bee']);
  });

  it('falls back on the least contradicted candidates when answers contradict every candidate', () => {
    const belief = new Belief(tiny).update([
      { move: { kind: 'question', text: 'big?', attribute: 'big' }, answer: 'yes' },
      { move: { kind: 'question', text: 'water?', attribute: 'water' }, answer: 'yes' },
    ]);
    // zebra, horse contradict "water: yes"; fish contradicts "big: yes"; bee contradicts "big: yes" only.
    expect(members(belief.consistent().set).map((c) => tiny.candidates[c]!.id)).toEqual(['zebra', 'horse', 'fish', 'bee']);
  });
});

describe('infogain policy', () => {
  it('asks the question with the highest gain first, then guesses from 2 candidates', () => {
    const policy = new InfogainPolicy(tiny, { epsilon: 0, temperature: 0, unknown: 'auto' });
    const [first] = policy.act([view([])]);
    // big and stripes both gain 1 bit, water 0.69: the first of the best is asked
    expect(first).toEqual({ kind: 'question', text: 'Is it big?', attribute: 'big' });
    const [second] = policy.act([view([{ move: first!, answer: 'yes' }])]);
    // zebra or horse: guessing now (1.5 expected) beats asking (2)
    expect(second).toMatchObject({ kind: 'guess', candidate: 'zebra' });
  });

  it('under wrong_guess: lose, asks until one candidate is left', () => {
    const policy = new InfogainPolicy(tiny, { epsilon: 0, temperature: 0, unknown: 'auto' });
    const lose = (turns: Turn[]): GameView => ({ turns, rules: { max_questions: 20, wrong_guess: 'lose' }, rng: new Rng(1), memo: new Map() });
    const turns: Turn[] = [{ move: { kind: 'question', text: 'Is it big?', attribute: 'big' }, answer: 'yes' }];
    expect(policy.act([lose(turns)])[0]).toMatchObject({ kind: 'question', attribute: 'stripes' });
  });

  it('guesses when one question is left', () => {
    const policy = new InfogainPolicy(tiny, { epsilon: 0, temperature: 0, unknown: 'auto' });
    const lastOne: GameView = { turns: [], rules: { max_questions: 1, wrong_guess: 'continue' }, rng: new Rng(1), memo: new Map() };
    expect(policy.act([lastOne])[0]!.kind).toBe('guess');
  });

  it('with epsilon 1 asks random questions', () => {
    const policy = new InfogainPolicy(tiny, { epsilon: 1, temperature: 0, unknown: 'auto' });
    const asked = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      const m = policy.act([{ turns: [], rules: { max_questions: 20, wrong_guess: 'continue' }, rng: new Rng(seed), memo: new Map() }])[0]!;
      if (m.kind === 'question') asked.add(m.attribute!);
    }
    expect([...asked].sort()).toEqual(['big', 'stripes', 'water']);
  });

  it('wins every game on animals90 in at most 7.5 questions on average, and never beats the exact bound of the game', async () => {
    const domain = animals90();
    const rules = { max_questions: 20, wrong_guess: 'continue' as const };
    const factory = new PluginFactory(domain, rules, process.cwd());
    const specs = domain.candidates.map((c, game) => ({ game, seed: deriveSeed(5, game), target: c.id }));
    const games = await playGames(specs, {
      domain,
      rules,
      policy: await factory.create('policy', 'infogain'),
      answerer: await factory.create('answerer', 'kb'),
      policyLabel: 'infogain',
    });
    expect(games.every((g) => g.outcome === 'win')).toBe(true);
    const mean = games.reduce((s, g) => s + g.questions, 0) / games.length;
    expect(mean).toBeLessThanOrEqual(7.5);
    // the kb says unknown on unknown facts: the bound is the optimal tree over the domain's questions (5.2), not 6.93
    expect(mean).toBeGreaterThanOrEqual(optimalTree(domain, { rule: 'continue', semantics: 'say' }).mean - 1e-12);
  });
});
