import { definePlugin, type GameView, guessQuestion, type Move, Type } from '../../framework/plugin.js';

export default definePlugin({
  kind: 'policy',
  name: 'random',
  description: 'A naive questioner: each move is drawn uniformly from the attribute questions not asked yet and the guesses not made yet.',
  options: Type.Object({}, { additionalProperties: false }),
  create(_options, { domain }) {
    const act = (game: GameView): Move => {
      const asked = new Set<string>();
      const guessed = new Set<string>();
      for (const { move } of game.turns) {
        if (move.kind === 'question' && move.attribute) asked.add(move.attribute);
        if (move.kind === 'guess') guessed.add(move.candidate);
      }
      const questions = domain.attributes.filter((a) => !asked.has(a.id));
      const guesses = domain.candidates.filter((c) => !guessed.has(c.id));
      const i = game.rng.int(questions.length + guesses.length);
      if (i < questions.length) return { kind: 'question', text: questions[i]!.question, attribute: questions[i]!.id };
      const c = guesses[i - questions.length]!;
      return { kind: 'guess', text: guessQuestion(c), candidate: c.id };
    };
    return { act: (games) => games.map(act) };
  },
});
