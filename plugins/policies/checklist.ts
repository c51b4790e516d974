import { Belief, choice, countWhere, defaulted, definePlugin, type GameView, guessQuestion, members, type Move, truthMasks, Type } from '../../framework/plugin.js';

/**
 * A child's habit: go down the list of questions in the domain's order, skipping those whose answer
 * is already known, and guess once one candidate is left. Consistent, knows the animals, but wastes
 * questions: a teacher whose games are correct and long.
 */
export default definePlugin({
  kind: 'policy',
  name: 'checklist',
  description: 'Asks the attributes in the order the domain lists them, skipping those that cannot split the candidates still in play, and guesses when one is left: consistent but slow (a habit, not a strategy).',
  options: Type.Object({ order: defaulted(choice(['domain', 'reverse'], { default: 'domain', description: 'Go down the list of attributes from the top, or from the bottom.' })) }, { additionalProperties: false }),
  create({ order }, { domain }) {
    const masks = truthMasks(domain);
    const list = domain.attributes.map((_, a) => a);
    if (order === 'reverse') list.reverse();
    const move = (game: GameView): Move => {
      let belief = game.memo.get('checklist') as Belief | undefined;
      if (!belief) game.memo.set('checklist', (belief = new Belief(domain)));
      belief.update(game.turns);
      const { set, count } = belief.consistent();
      if (count > 1 && game.rules.max_questions - game.turns.length > 1) {
        for (const a of list) {
          if (belief.asked[a]) continue;
          const yes = countWhere(masks.yes, masks.words, set, a);
          const no = countWhere(masks.no, masks.words, set, a);
          if (yes > 0 && no > 0) return { kind: 'question', text: domain.attributes[a]!.question, attribute: domain.attributes[a]!.id };
        }
      }
      const candidate = domain.candidates[members(set)[0]!]!;
      return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
    };
    return { act: (games) => games.map(move) };
  },
});
