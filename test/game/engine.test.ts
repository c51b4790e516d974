import { describe, expect, it } from 'vitest';
import { GameError, PlayerError, playGames, type Players } from '../../framework/game/engine.js';
import { parseMove } from '../../framework/game/parse.js';
import type { GameView, Move, Rules } from '../../framework/game/types.js';
import type { Answerer, Policy } from '../../framework/plugins/types.js';
import { tinyDomain } from '../helpers.js';

const domain = tinyDomain();

/** Plays the same scripted moves in every game, then repeats the last one. */
function scripted(moves: Move[]): Policy {
  return { act: (games: readonly GameView[]) => games.map((g) => moves[Math.min(g.turns.length, moves.length - 1)]!) };
}

/** Answers from the tiny truth table by attribute, like kb. */
const truthful: Answerer = {
  answer: (q, target) => domain.fact(domain.candidateIndexOf(target.id)!, domain.attributeIndexOf(q.attribute!)!),
};

const ask = (attribute: string): Move => ({ kind: 'question', text: `${attribute}?`, attribute });
const guess = (candidate: string): Move => ({ kind: 'guess', text: `Is it a ${candidate}?`, candidate });

function players(policy: Policy, rules: Partial<Rules> = {}): Players {
  return { domain, rules: { max_questions: 20, wrong_guess: 'continue', ...rules }, policy, answerer: truthful, policyLabel: 'scripted' };
}

const one = (target: string) => [{ game: 7, seed: 1234, target }];

describe('game engine', () => {
  it('wins on a correct guess, which counts as a question', async () => {
    const [t] = await playGames(one('zebra'), players(scripted([ask('big'), ask('stripes'), guess('zebra')])));
    expect(t).toMatchObject({ game: 7, seed: 1234, target: 'zebra', policy: 'scripted', outcome: 'win', questions: 3, invalid: 0 });
    expect(t!.turns).toEqual([
      { move: ask('big'), answer: 'yes' },
      { move: ask('stripes'), answer: 'yes' },
      { move: guess('zebra'), answer: 'yes' },
    ]);
  });

  it('answers a wrong guess no and goes on under wrong_guess: continue', async () => {
    const [t] = await playGames(one('horse'), players(scripted([guess('zebra'), guess('horse')])));
    expect(t!.turns.map((x) => x.answer)).toEqual(['no', 'yes']);
    expect(t).toMatchObject({ outcome: 'win', questions: 2 });
  });

  it('ends the game at the first wrong guess under wrong_guess: lose', async () => {
    const [t] = await playGames(one('horse'), players(scripted([ask('big'), guess('zebra'), guess('horse')]), { wrong_guess: 'lose' }));
    expect(t).toMatchObject({ outcome: 'loss', questions: 2 });
    expect(t!.turns.at(-1)).toEqual({ move: guess('zebra'), answer: 'no' });
  });

  it('loses after max_questions without a correct guess', async () => {
    const [t] = await playGames(one('fish'), players(scripted([ask('big')]), { max_questions: 5 }));
    expect(t).toMatchObject({ outcome: 'loss', questions: 5 });
    expect(t!.turns).toHaveLength(5);
  });

  it('wins on the very last question', async () => {
    const [t] = await playGames(one('bee'), players(scripted([ask('big'), ask('big'), guess('bee')]), { max_questions: 3 }));
    expect(t).toMatchObject({ outcome: 'win', questions: 3 });
  });

  it('records an invalid move without an answer and charges a question for it', async () => {
    const invalid: Move = { kind: 'invalid', text: 'hmm, let me think', reason: 'no question found' };
    const [t] = await playGames(one('zebra'), players(scripted([invalid, invalid, guess('zebra')])));
    expect(t).toMatchObject({ outcome: 'win', questions: 3, invalid: 2 });
    expect(t!.turns[0]).toEqual({ move: invalid });
  });

  it("keeps a broken contract apart from a model's mistake: a guess of no candidate id, a move of no known kind, no move at all fail the game", async () => {
    await expect(playGames(one('zebra'), players(scripted([ask('big'), guess('unicorn')])))).rejects.toThrow(
      new GameError('policy scripted guessed "unicorn" in game 7 (target zebra, seed 1234): a guess names a candidate of tiny by its id (a reply that names no candidate is an invalid move: parseMove makes one)'),
    );
    const ask2 = { kind: 'ask', text: 'Is it big?' } as unknown as Move;
    await expect(playGames(one('zebra'), players(scripted([ask2])))).rejects.toThrow(/^policy scripted returned a move of unknown kind "ask" in game 7 \(target zebra, seed 1234\): a move is \{ kind: "question"/);
    await expect(playGames(one('zebra'), players(scripted([null as unknown as Move])))).rejects.toThrow(/^policy scripted returned null as its move in game 7/);
    // what a model's reply turns into, through parseMove, stays a move of the game: invalid, and charged
    const unreadable = parseMove('I think it is a unicorn!', domain);
    const [t] = await playGames(one('zebra'), players(scripted([unreadable, guess('zebra')])));
    expect(t).toMatchObject({ invalid: 1, outcome: 'win', questions: 2 });
  });

  it('names the player, the game and the line of the plugin that threw, finding the game of a batch that throws', async () => {
    // the second game's seed makes it throw: it alone, though it was asked in a batch, is named
    const picky: Policy = {
      act: (views) =>
        views.map((v) => {
          if (v.rng.seed === 11) throw new TypeError('view.rng.choice is not a function');
          return ask('big');
        }),
    };
    const specs = ['zebra', 'horse'].map((target, game) => ({ game, seed: 10 + game, target }));
    const error = await playGames(specs, players(picky)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlayerError);
    expect((error as PlayerError).message).toMatch(/^policy scripted failed in game 1 \(target horse, seed 11\): TypeError: view\.rng\.choice is not a function \(at test\/game\/engine\.test\.ts:\d+:\d+\)$/);
    const grumpy: Answerer = {
      answer: () => {
        throw new RangeError('no such attribute');
      },
    };
    await expect(playGames(one('fish'), { ...players(scripted([ask('big')])), answerer: grumpy, answererLabel: 'grumpy' })).rejects.toThrow(
      /^answerer grumpy failed in game 7 \(target fish, seed 1234\): RangeError: no such attribute \(at test\/game\/engine\.test\.ts:\d+:\d+\)$/,
    );
  });

  it('makes a question in the guess form that names no candidate an invalid move that costs a question, whoever wrote it', async () => {
    let asked = 0;
    const counting: Answerer = { answer: (q, target) => (asked++, truthful.answer(q, target, [], undefined as never)) };
    const piran: Move = { kind: 'question', text: 'Is it a piran?' };
    const [t] = await playGames(one('zebra'), { ...players(scripted([piran, guess('zebra')])), answerer: counting });
    expect(t!.turns[0]).toEqual({ move: { kind: 'invalid', text: 'Is it a piran?', reason: '"piran" is not one of the 4 things' } });
    expect(t).toMatchObject({ invalid: 1, outcome: 'win', questions: 2 });
    expect(asked).toBe(0);
    // one of the domain's questions in the same form is a question: the answerer gets it
    const big: Move = { kind: 'question', text: 'Is it a big animal?' };
    const [u] = await playGames(one('zebra'), { ...players(scripted([big, guess('zebra')])), answerer: { answer: () => 'yes' } });
    expect(u!.turns[0]).toEqual({ move: big, answer: 'yes' });
    expect(u!.invalid).toBe(0);
  });

  it('settles guesses itself, so an answerer that says yes to everything cannot fake a win', async () => {
    const yesMan: Answerer = { answer: () => 'yes' };
    const [t] = await playGames(one('fish'), { ...players(scripted([guess('zebra')]), { max_questions: 2 }), answerer: yesMan });
    expect(t!.turns.map((x) => x.answer)).toEqual(['no', 'no']);
    expect(t!.outcome).toBe('loss');
  });

  it('plays many games in one batch, each to its own end', async () => {
    const specs = ['zebra', 'horse', 'fish', 'bee'].map((target, game) => ({ game, seed: game, target }));
    const moves = [guess('zebra'), guess('horse'), guess('fish'), guess('bee')];
    const out = await playGames(specs, players(scripted(moves)));
    expect(out.map((t) => [t.target, t.questions, t.outcome])).toEqual([
      ['zebra', 1, 'win'],
      ['horse', 2, 'win'],
      ['fish', 3, 'win'],
      ['bee', 4, 'win'],
    ]);
  });

  it('rejects a policy that returns the wrong number of moves', async () => {
    const broken: Policy = { act: () => [] };
    await expect(playGames(one('zebra'), players(broken))).rejects.toThrow(/returned 0 moves for 1 games/);
  });

  it('waits for asynchronous answerers', async () => {
    const slow: Answerer = { answer: (q, target) => new Promise((r) => setTimeout(() => r(truthful.answer(q, target, [], null!) as 'yes'), 5)) };
    const [t] = await playGames(one('fish'), { ...players(scripted([ask('water'), guess('fish')])), answerer: slow });
    expect(t!.turns.map((x) => x.answer)).toEqual(['yes', 'yes']);
  });
});
