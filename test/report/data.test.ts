import { describe, expect, it } from 'vitest';
import { evaluationGap, viewerGame, type StageReport } from '../../framework/report/data.js';
import type { OutcomeMetrics } from '../../framework/metrics/outcome.js';
import { DEFAULT_RULES, type GameView, type Trajectory } from '../../framework/game/types.js';
import { playGames } from '../../framework/game/engine.js';
import { readMove } from '../../framework/game/chat.js';
import { tinyDomain } from '../helpers.js';

describe('the game viewer', () => {
  it('shows each turn with the candidates left and the bits gained; a model turn with its raw reply, invalid reason and tokens', () => {
    const game: Trajectory = {
      game: 3,
      seed: 1,
      policy: 'lm',
      target: 'zebra',
      turns: [
        { move: { kind: 'question', text: 'Is it big?', attribute: 'big', raw: '<think>…</think>Is it big?', usage: { prompt_tokens: 30, completion_tokens: 5, latency_ms: 9 } }, answer: 'yes', answer_raw: 'Yes.' },
        { move: { kind: 'invalid', text: 'blah', reason: 'neither a question nor a guess' } },
        { move: { kind: 'question', text: 'Does it have stripes?', attribute: 'stripes' }, answer: 'yes' },
        { move: { kind: 'guess', text: 'Is it a zebra?', candidate: 'zebra' }, answer: 'yes' },
      ],
      outcome: 'win',
      questions: 4,
      invalid: 1,
      reward: 0.8,
    };
    const v = viewerGame(game, tinyDomain(), false);
    // zebra, horse, fish, bee: "big: yes" leaves zebra and horse (1 bit), "stripes: yes" leaves zebra (1 bit)
    expect(v.turns.map((t) => t.left)).toEqual([2, 2, 1, 1]);
    expect(v.turns.map((t) => t.bits)).toEqual([1, 0, 1, 0]);
    expect(v.turns[0]).toMatchObject({ raw: '<think>…</think>Is it big?', tokens: 35, answer_raw: 'Yes.', answer: 'yes' });
    expect(v.turns[1]).toMatchObject({ kind: 'invalid', reason: 'neither a question nor a guess' });
    expect(v.turns[1]!.answer).toBeUndefined();
    expect(v).toMatchObject({ game: 3, target: 'zebra', outcome: 'win', questions: 4, invalid: 1, reward: 0.8 });
    // without a truth table there is nothing to count
    expect(viewerGame(game, undefined, false).turns[0]!.left).toBeUndefined();
  });

  it('shows a guess of a name that is no candidate as the invalid move the engine made it, with its reason', async () => {
    const domain = tinyDomain();
    const moves = ['Is it a piran?', 'Is it a zebra?'];
    const policy = { act: (views: readonly GameView[]) => views.map((v) => readMove(moves[v.turns.length]!, domain)) };
    const [game] = await playGames([{ game: 0, seed: 1, target: 'zebra' }], { domain, rules: DEFAULT_RULES, policy, answerer: { answer: () => 'unknown' }, policyLabel: 'lm' });
    const v = viewerGame(game!, domain, true);
    expect(v.turns[0]).toEqual({ kind: 'invalid', text: 'Is it a piran?', reason: '"piran" is not one of the 4 things', left: 4, bits: 0 });
    expect(v).toMatchObject({ outcome: 'win', questions: 2, invalid: 1 });
  });

  it('reads "unknown" three ways when the answerer says it exactly where the table does', () => {
    const game: Trajectory = {
      game: 0,
      seed: 0,
      policy: 'p',
      target: 'bee',
      turns: [{ move: { kind: 'question', text: 'Does it live in water?', attribute: 'water' }, answer: 'unknown' }],
      outcome: 'loss',
      questions: 1,
      invalid: 0,
      reward: 0,
    };
    expect(viewerGame(game, tinyDomain(), true).turns[0]!.left).toBe(1);
    expect(viewerGame(game, tinyDomain(), false).turns[0]!.left).toBe(4);
  });
});

describe('the evaluation gap', () => {
  const play = (policy: string, style: number, success: number, efficiency: number) => ({
    key: policy,
    policy,
    style,
    metrics: { success, efficiency, avg_questions: 20 * (1 - efficiency / success) } as OutcomeMetrics,
    counts: [],
    lost: 0,
    errors: 0,
    games: [],
  });
  it('ranks style against outcome and names where they disagree most', () => {
    const stages: StageReport[] = [
      { name: 'a', kind: 'evaluate', status: 'done', plays: [play('copycat', 0.99, 0.9, 0.3), play('best', 0.5, 1, 0.74)] },
      { name: 'b', kind: 'evaluate', status: 'done', plays: [play('mid', 0.8, 1, 0.6)] },
      { name: 'g', kind: 'generate', status: 'done', plays: [play('teacher', 1, 1, 0.4)] },
    ];
    const gap = evaluationGap(stages, 'g')!;
    expect(gap.rows.map((r) => r.policy)).toEqual(['copycat', 'best', 'mid']);
    // style ranks copycat > mid > best, efficiency best > mid > copycat: perfectly reversed
    expect(gap.rho_efficiency).toBeCloseTo(-1, 12);
    expect(gap.disagreements[0]).toMatchObject({ policy: 'copycat', style_rank: 1, outcome_rank: 3 });
    expect(evaluationGap(stages, undefined)).toBeUndefined();
  });
});
