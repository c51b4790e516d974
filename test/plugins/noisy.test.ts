import { describe, expect, it } from 'vitest';
import type { Answer, QuestionMove } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { Rng } from '../../framework/util/rng.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const factory = new PluginFactory(domain, { max_questions: 20, wrong_guess: 'continue' }, process.cwd());

async function answers(p: number, target = 'zebra', seed = 1): Promise<{ truth: Answer[]; noisy: Answer[] }> {
  const noisy = await factory.create('answerer', { use: 'noisy', with: { p } });
  const rng = new Rng(seed);
  const truth: Answer[] = [];
  const out: Answer[] = [];
  for (let round = 0; round < 50; round++) {
    for (const a of domain.attributes) {
      const question: QuestionMove = { kind: 'question', text: a.question, attribute: a.id };
      truth.push(domain.fact(domain.candidateIndexOf(target)!, domain.attributeIndexOf(a.id)!));
      out.push((await noisy.answer(question, domain.candidate(target), [], rng)) as Answer);
    }
  }
  return { truth, noisy: out };
}

describe('noisy answerer', () => {
  it('flips yes/no answers at about the rate p, never unknown ones', async () => {
    const { truth, noisy } = await answers(0.2);
    let decided = 0;
    let flipped = 0;
    truth.forEach((t, i) => {
      if (t === 'unknown') expect(noisy[i]).toBe('unknown');
      else {
        decided++;
        if (noisy[i] !== t) {
          flipped++;
          expect(noisy[i]).toBe(t === 'yes' ? 'no' : 'yes');
        }
      }
    });
    // 50 x 71 answers, about 3300 decided: the rate lands within a few points of 0.2
    expect(flipped / decided).toBeGreaterThan(0.17);
    expect(flipped / decided).toBeLessThan(0.23);
  });

  it('is the wrapped answerer at p = 0 and its opposite at p = 1', async () => {
    const zero = await answers(0);
    expect(zero.noisy).toEqual(zero.truth);
    const one = await answers(1);
    expect(one.noisy).toEqual(one.truth.map((t) => (t === 'yes' ? 'no' : t === 'no' ? 'yes' : t)));
  });

  it('replays the same flips from the same seed', async () => {
    expect((await answers(0.3, 'lion', 7)).noisy).toEqual((await answers(0.3, 'lion', 7)).noisy);
    expect((await answers(0.3, 'lion', 7)).noisy).not.toEqual((await answers(0.3, 'lion', 8)).noisy);
  });
});
