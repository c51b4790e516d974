import { describe, expect, it } from 'vitest';
import { AttributeMatcher } from '../../framework/game/matcher.js';
import type { Answer, QuestionMove } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { Rng } from '../../framework/util/rng.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const factory = new PluginFactory(domain, { max_questions: 20, wrong_guess: 'continue' }, process.cwd());
const kb = await factory.create('answerer', 'kb');
const ask = (target: string, text: string, attribute?: string): Answer => kb.answer({ kind: 'question', text, ...(attribute ? { attribute } : {}) }, domain.candidate(target), [], new Rng(1)) as Answer;

describe('kb answerer', () => {
  it('answers attribute questions from the truth table, unknown facts included', () => {
    expect(ask('giraffe', 'Does it have a long neck?', 'long_neck')).toBe('yes');
    expect(ask('dolphin', 'Is it a fish?', 'fish')).toBe('no');
    expect(ask('dog', 'Is it mostly brown?', 'brown')).toBe('unknown');
  });

  it('matches free-form questions to attributes through their paraphrases', () => {
    expect(ask('dolphin', 'Is it a mammal?')).toBe('yes');
    expect(ask('dolphin', 'does the mother feed its babies milk')).toBe('yes');
    expect(ask('eagle', 'Can it fly?')).toBe('yes');
    expect(ask('penguin', 'is it able to fly')).toBe('no');
    expect(ask('tiger', 'Is it striped?')).toBe('yes');
    expect(ask('tiger', 'Is it a carnivore?')).toBe('yes');
    expect(ask('cow', 'Is it a herbivore?')).toBe('yes');
    expect(ask('koala', 'Does it live in Australia?')).toBe('yes');
    expect(ask('elephant', 'Is it bigger than a car?')).toBe('yes');
    expect(ask('mouse', 'Is it tiny?')).toBe('yes');
    expect(ask('bee', 'Does it make honey?')).toBe('yes');
    expect(ask('frog', 'Is it slimy?')).toBe('yes');
    // "legs" alone fits four_legs, two_legs, many_legs and no_legs equally: better unknown than the
    // answer to no_legs, which would say the opposite of what was asked.
    expect(ask('snake', 'Does it have legs?')).toBe('unknown');
  });

  it('answers unknown when no paraphrase is close', () => {
    expect(ask('dog', 'What is the meaning of life?')).toBe('unknown');
    expect(ask('dog', 'Does it play the violin?')).toBe('unknown');
    expect(ask('dog', 'Is its name alphabetically before M?')).toBe('unknown');
  });

  it('answers a question that names an animal by name or alias', () => {
    expect(ask('orca', 'Is it a killer whale?')).toBe('yes');
    expect(ask('orca', 'Is it a dolphin?')).toBe('no');
    expect(ask('mouse', 'Is it the mice?')).toBe('yes');
  });

  it('does not understand a guess of a name that is none of the animals (the engine makes it an invalid move first)', () => {
    expect(kb.understands!({ kind: 'question', text: 'Is it a piran?' })).toBe(false);
    expect(ask('piranha', 'Is it a piran?')).toBe('unknown');
    expect(kb.understands!({ kind: 'question', text: 'Is it a mammal?' })).toBe(true);
  });

  it('maps every canonical question and paraphrase back to its own attribute', () => {
    const matcher = new AttributeMatcher(domain.attributes);
    const wrong: string[] = [];
    for (const a of domain.attributes) {
      for (const text of [a.question, ...a.paraphrases]) {
        const m = matcher.match(text);
        if (m?.attribute !== a.id) wrong.push(`${text} -> ${m?.attribute ?? 'nothing'} (expected ${a.id})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('matches unseen wordings of common questions', () => {
    const matcher = new AttributeMatcher(domain.attributes);
    const cases: [string, string][] = [
      ['Does it have any fur?', 'fur'],
      ['Is it covered with feathers?', 'feathers'],
      ['Does this animal lay eggs?', 'lays_eggs'],
      ['Can it swim well?', 'swims'],
      ['Is it found in the ocean?', 'sea'],
      ['Would it be dangerous to humans?', 'dangerous'],
      ['Is it kept as a pet?', 'pet'],
      ['Is it bigger than a human?', 'bigger_than_person'],
      ['Does it eat plants?', 'plants_only'],
      ['Is it gray?', 'grey'],
      ['Is it colourful?', 'colourful'],
    ];
    for (const [text, id] of cases) expect(matcher.match(text)?.attribute, text).toBe(id);
  });
});

const coin = await factory.create('answerer', { use: 'kb', with: { unknown: 'coin' }, label: 'kb' });

describe('kb answerer: unknown cells', () => {
  const q = { kind: 'question', text: 'Is it mostly brown?', attribute: 'brown' } as QuestionMove;

  it('says unknown by default and declares it', () => {
    expect(kb.unknowns).toBe('say');
    expect(coin.unknowns).toBe('coin');
  });

  it('with unknown: coin, answers yes or no drawn per game and question: the same on a repeat, fair over games', () => {
    const answers = Array.from({ length: 400 }, (_, seed) => {
      const rng = new Rng(seed);
      const first = coin.answer(q, domain.candidate('dog'), [], rng) as Answer;
      // asked again later in the same game (the stream moved on): the same coin
      rng.next();
      expect(coin.answer(q, domain.candidate('dog'), [], rng)).toBe(first);
      return first;
    });
    expect(new Set(answers)).toEqual(new Set(['yes', 'no']));
    const yes = answers.filter((a) => a === 'yes').length;
    expect(yes).toBeGreaterThan(160);
    expect(yes).toBeLessThan(240);
    // known facts are answered from the table, untouched
    expect(coin.answer({ kind: 'question', text: 'Does it have a long neck?', attribute: 'long_neck' }, domain.candidate('giraffe'), [], new Rng(3))).toBe('yes');
  });
});
