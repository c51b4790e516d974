import { describe, expect, it } from 'vitest';
import { playGames } from '../../framework/game/engine.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { gameSpecs } from '../../framework/run/games.js';
import { Rng, deriveSeed } from '../../framework/util/rng.js';

const rules = { max_questions: 20, wrong_guess: 'continue' } as const;

/** The first game of stage 01-evaluate under a seed, played by a noisy expert (it draws from its rng). */
async function firstGame(seed: number): Promise<string> {
  const factory = await PluginFactory.forDomain('animals90', rules, process.cwd());
  const policy = await factory.create('policy', { use: 'infogain', with: { epsilon: 0.3, temperature: 0.5 } });
  const answerer = await factory.create('answerer', 'kb');
  const [spec] = gameSpecs(seed, '01-evaluate', { games: 1 }, factory.domain);
  const [game] = await playGames([spec!], { domain: factory.domain, rules, policy, answerer, policyLabel: 'p' });
  return `${game!.target} ${game!.seed} ${game!.outcome} ${game!.questions}: ${game!.turns.map((t) => (t.move.kind === 'guess' ? t.move.candidate : t.move.kind === 'question' ? t.move.attribute : '?')).join(' ')}`;
}

describe('seeds', () => {
  // Values computed before seeds above 2^32 were given their high bits: every published number rests on them.
  it('below 2^32 derive and draw exactly as they always did', () => {
    expect(deriveSeed(7, '01-evaluate', 0)).toBe(2763697537);
    expect(deriveSeed(7, '01-evaluate', 1)).toBe(3291960959);
    expect(deriveSeed(4294967295, 'g', 3)).toBe(3555491566);
    expect(deriveSeed(2 ** 31 + 5, 'g')).toBe(4191736036);
    const rng = new Rng(123);
    expect([rng.nextUint32(), rng.nextUint32()]).toEqual([3237359111, 3912681895]);
    expect(new Rng(4294967295).nextUint32()).toBe(3199221271);
  });

  it("below 2^32 play today's first game", async () => {
    expect(await firstGame(7)).toBe(FIRST_GAME_SEED_7);
  });

  it('above 2^32 use every bit: seed 2^32 + 1 is not seed 1', async () => {
    expect(deriveSeed(2 ** 32 + 1, 'a', 0)).not.toBe(deriveSeed(1, 'a', 0));
    expect(deriveSeed(2 ** 52 + 1, 'a', 0)).not.toBe(deriveSeed(1, 'a', 0));
    expect(deriveSeed(Number.MAX_SAFE_INTEGER, 'a')).not.toBe(deriveSeed(2 ** 32 - 1, 'a'));
    expect(new Rng(2 ** 32 + 1).nextUint32()).not.toBe(new Rng(1).nextUint32());
    expect(await firstGame(2 ** 32 + 7)).not.toBe(await firstGame(7));
  });
});

// infogain reads the kb's unknown three ways since issue 10: the same seed, other questions
const FIRST_GAME_SEED_7 = 'dog 2763697537 win 11: stripes trees australia americas groups colourful desert flies hooves rabbit dog';
