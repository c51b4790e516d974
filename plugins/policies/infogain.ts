import { Belief, choice, defaulted, definePlugin, type Domain, type GameView, GreedyRule, guessQuestion, members, type Move, type Static, truthMasks, Type } from '../../framework/plugin.js';

const OPTIONS = Type.Object(
  {
    epsilon: defaulted(Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Probability that a move is a random question not asked yet.' })),
    temperature: defaulted(Type.Number({ minimum: 0, default: 0, description: 'Softmax temperature over the gains (bits); 0 always asks the best question.' })),
    unknown: defaulted(
      choice(['auto', 'three-way', 'two-way'], {
        default: 'auto',
        description:
          'How to read "unknown": three-way (it means the table\'s fact is unknown: a question splits the candidates three ways), two-way (it tells nothing), or auto: three-way when the answerer says it answers unknown exactly on unknown facts (kb with unknown: say, also under noisy).',
      }),
    ),
  },
  { additionalProperties: false },
);

export type InfogainOptions = Static<typeof OPTIONS>;

/**
 * The expert questioner: tracks the candidates consistent with the answers (see Belief), asks the
 * attribute question with the highest expected information gain, and guesses when a guess is expected
 * to finish sooner (see GreedyRule, which the exact tree search starts from too).
 *
 * Where the answerer says "unknown" exactly on the table's unknown facts (GameView.unknowns `say`), it
 * reads the answers three ways (see Belief) and scores a question by the entropy of its three-way
 * split; otherwise an "unknown" tells it nothing. Either belief tolerates contradictions (a noisy answerer).
 */
export class InfogainPolicy {
  private readonly masks;
  private readonly rule: GreedyRule;
  /** Gains of the last state scored, by attribute (-1: asked already). Reused to spare the allocator. */
  private readonly gains: Float64Array;

  constructor(
    private readonly domain: Domain,
    private readonly options: InfogainOptions,
  ) {
    this.masks = truthMasks(domain);
    this.rule = new GreedyRule(domain.size);
    this.gains = new Float64Array(domain.attributes.length);
  }

  act(games: readonly GameView[]): Move[] {
    return games.map((game) => this.move(game));
  }

  /** The Belief of a game, kept across its moves so each turn is read once. */
  belief(game: GameView): Belief {
    let belief = game.memo.get(this) as Belief | undefined;
    if (!belief) {
      const { unknown } = this.options;
      belief = new Belief(this.domain, unknown === 'three-way' || (unknown === 'auto' && game.unknowns === 'say'));
      game.memo.set(this, belief);
    }
    return belief.update(game.turns);
  }

  private move(game: GameView): Move {
    const { rng, rules } = game;
    const belief = this.belief(game);
    const { set, count } = belief.consistent();
    const left = rules.max_questions - game.turns.length;

    if (left > 1 && this.options.epsilon > 0 && rng.next() < this.options.epsilon) {
      const unasked: number[] = [];
      for (let a = 0; a < belief.asked.length; a++) if (!belief.asked[a]) unasked.push(a);
      if (unasked.length > 0) return this.ask(rng.pick(unasked));
    }
    const { best, cost } = this.rule.score(this.masks, set, count, belief.asked, rules.wrong_guess, belief.threeWay, this.gains);
    if (left <= 1 || best < 0 || this.rule.guesses(count, cost, rules.wrong_guess, belief.threeWay)) {
      const candidates = members(set);
      const pick = this.options.temperature > 0 ? rng.pick(candidates) : candidates[0]!;
      const candidate = this.domain.candidates[pick]!;
      return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
    }
    if (this.options.temperature > 0) {
      const top = this.gains[best]!;
      const weights = Array.from(this.gains, (g) => (g > 1e-9 ? Math.exp((g - top) / this.options.temperature) : 0));
      return this.ask(rng.weighted(weights));
    }
    return this.ask(best);
  }

  private ask(a: number): Move {
    const attribute = this.domain.attributes[a]!;
    return { kind: 'question', text: attribute.question, attribute: attribute.id };
  }
}

export default definePlugin({
  kind: 'policy',
  name: 'infogain',
  description:
    'The expert: keeps the candidates consistent with the answers, asks the question with the highest expected information gain, and guesses when that is expected to finish sooner. epsilon and temperature make it an imperfect teacher.',
  options: OPTIONS,
  create: (options, { domain }) => new InfogainPolicy(domain, options),
});
