import { describe, expect, it } from 'vitest';
import { parseMove } from '../../framework/game/parse.js';
import { animals90 } from '../helpers.js';

const domain = animals90();

describe('parseMove', () => {
  const cases: [string, string, string | RegExp][] = [
    // reply, expected kind, expected candidate (guess) / question text / invalid reason
    ['Is it a mammal?', 'question', 'Is it a mammal?'],
    ['Does it have stripes?', 'question', 'Does it have stripes?'],
    ['does it live in water', 'question', 'does it live in water?'],
    ['Great, thanks! Is it bigger than a cat?', 'question', 'Is it bigger than a cat?'],
    ['Okay, so it is a bird. Next question: Can it fly?', 'question', 'Can it fly?'],
    ['Question: Does it eat fish?', 'question', 'Does it eat fish?'],
    ['**Does it have feathers?**', 'question', 'Does it have feathers?'],
    ['Let me think about what we know so far.\n\nIt is a mammal that lives in Africa.\n\nDoes it have a long neck?', 'question', 'Does it have a long neck?'],
    ['Is it a giraffe?', 'guess', 'giraffe'],
    ['Is it an owl?', 'guess', 'owl'],
    ['is it the killer whale?', 'guess', 'orca'],
    ['Is it a Polar Bear?', 'guess', 'polar_bear'],
    ['Are you a wolves?', 'guess', 'wolf'],
    ['Could it be a hippo?', 'guess', 'hippopotamus'],
    ['I think it is a penguin!', 'guess', 'penguin'],
    ['Based on your answers, my guess is: a flamingo.', 'guess', 'flamingo'],
    ['Guess: Komodo dragon', 'guess', 'komodo_dragon'],
    ['[zebra]', 'guess', 'zebra'],
    ["I'll guess butterflies", 'guess', 'butterfly'],
    ['Hmm. Is it a cheetah? It must be fast.', 'guess', 'cheetah'],
    ['<think>It lives in water and is not a fish, so a mammal?</think>\nDoes it have fins or flippers?', 'question', 'Does it have fins or flippers?'],
    ['So far: 1. mammal - yes 2. stripes - no.\nSo my next question is: does it live in the ocean?', 'question', 'does it live in the ocean?'],
    ['Is it an animal that lives in trees?', 'question', 'Is it an animal that lives in trees?'],
    ['Are they kangaroos?', 'question', 'Are they kangaroos?'],
    ["Based on everything, I believe it's the koala. Is it a koala?", 'guess', 'koala'],
    ['Final answer: Is it the KOMODO DRAGON?!', 'guess', 'komodo_dragon'],
    ['Is it a hippopotamus or a rhinoceros?', 'question', 'Is it a hippopotamus or a rhinoceros?'],
    // the guess form, but one of the domain's questions, or a description rather than a name
    ['Is it a carnivore?', 'question', 'Is it a carnivore?'],
    ['Is it a bird?', 'question', 'Is it a bird?'],
    ['Is it a bird with a long beak?', 'question', 'Is it a bird with a long beak?'],
    ['Is it big?', 'question', 'Is it big?'],
    ['Guess: giraffes.', 'guess', 'giraffe'],
    ['Yes', 'invalid', /no question/],
    ['Guess: unicorn', 'invalid', /^"unicorn" is not one of the 90 animals$/],
    // the guess form naming no animal, and none of the domain's questions: an invalid move, not a question kb does not understand
    ['Is it a unicorn?', 'invalid', /^"unicorn" is not one of the 90 animals$/],
    ['Is it a piran?', 'invalid', /^"piran" is not one of the 90 animals$/],
    ['Is it an orcodile?', 'invalid', /^"orcodile" is not one of the 90 animals$/],
    ['Hmm. Could it be the giant orcodile?', 'invalid', /^"giant orcodile" is not one of the 90 animals$/],
    ['Final answer: Is it a Piran?!', 'invalid', /^"Piran" is not one of the 90 animals$/],
    ['', 'invalid', /empty reply/],
    ['   \n ', 'invalid', /empty reply/],
    ['I need to think more about this.', 'invalid', /no question .* and no guess found/],
    ['Sure! Let me know when you are ready.', 'invalid', /no question/],
  ];

  it.each(cases)('%j -> %s', (reply, kind, expected) => {
    const move = parseMove(reply, domain);
    expect(move.kind).toBe(kind);
    if (move.kind === 'guess') expect(move.candidate).toBe(expected);
    if (move.kind === 'question') expect(move.text).toBe(expected);
    if (move.kind === 'invalid') {
      expect(move.reason).toMatch(expected);
      expect(move.text).toBe(reply);
    }
  });
});
