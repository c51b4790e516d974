import { Type } from '@sinclair/typebox';
import { choice, defaulted } from '../util/typebox.js';

/** The rules of the game, as the experiment's `game` section writes them. */
export const RULES = Type.Object(
  {
    max_questions: defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'Question budget; guesses and invalid moves count.' })),
    wrong_guess: defaulted(choice(['continue', 'lose'], { default: 'continue', description: 'continue: a wrong guess is answered no; lose: it ends the game.' })),
  },
  { default: {}, additionalProperties: false },
);
