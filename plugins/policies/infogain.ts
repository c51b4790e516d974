import { Belief, choice, countWhere, defaulted, definePlugin, type Domain, type GameView, guessQuestion, informationGain, informationGain3, members, type Move, optimalMeans, split, type Static, ternaryTable, truthMasks, Type, type WrongGuessRule } from '../../framework/plugin.js';

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
 * to finish sooner. The cost of finishing from n candidates is estimated by the optimal mean for n
 * (the bound's dynamic programme), so from 2 or 3 candidates it guesses, as a perfect player would.
 *
 * Where the answerer says "unknown" exactly on the table's unknown facts (GameView.unknowns `say`), it
 * reads the answers three ways (see Belief) and scores a question by the entropy of its three-way
 * split; otherwise an "unknown" tells it nothing. Either belief tolerates contradictions (a noisy answerer).
 */
export class InfogainPolicy {
  private readonly masks;
  private readonly means: Float64Array;
  /** Optimal means for n candidates when questions split three ways, a wrong guess going on or losing. */
  private readonly means3: Float64Array;
  private readonly lose3: Float64Array;
  /** Gains of the last state scored, by attribute (-1: asked already). Reused to spare the allocator. */
  private readonly gains: Float64Array;

  constructor(
    private readonly domain: Domain,
    private readonly options: InfogainOptions,
  ) {
    this.masks = truthMasks(domain);
    this.means = optimalMeans(domain.size, 'continue');
    this.means3 = ternaryTable(domain.size, 'continue').map((t, n) => (n === 0 ? 0 : t / n));
    this.lose3 = ternaryTable(domain.size, 'lose').map((t, n) => (n === 0 ? 0 : t / n));
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

  /**
   * Scores every attribute not asked yet over the candidates in play (into this.gains) and returns the
   * best one with its expected cost to finish, or -1 when none is informative.
   */
  private score(belief: Belief, set: Uint32Array, count: number, rule: WrongGuessRule): { best: number; cost: number } {
    let best = -1;
    let bestGain = 1e-9;
    const { yes: yesMasks, no: noMasks, words } = this.masks;
    const three = belief.threeWay;
    // Under lose a pair costs a question more than under continue (no guessing one of two), and a
    // three-way split's estimated cost picks better than its entropy there (5.44 questions, not 5.50,
    // for animals90; under continue the entropy does better: 5.20, not 5.30).
    const byCost = three && rule === 'lose';
    let bestCost = Infinity;
    for (let a = 0; a < this.gains.length; a++) {
      if (belief.asked[a]) {
        this.gains[a] = -1;
        continue;
      }
      // the hot loop of every expert move: counts only, nothing allocated
      const yes = countWhere(yesMasks, words, set, a);
      const no = countWhere(noMasks, words, set, a);
      const gain = three ? informationGain3(count, yes, no, count - yes - no) : informationGain(count, yes, no, count - yes - no);
      this.gains[a] = gain;
      if (byCost) {
        const u = count - yes - no;
        const m = this.lose3;
        const cost = yes * m[yes]! + no * m[no]! + u * m[u]!;
        if (gain > 1e-9 && (cost < bestCost - 1e-9 || (cost < bestCost + 1e-9 && gain > bestGain))) {
          best = a;
          bestGain = gain;
          bestCost = cost;
        }
        continue;
      }
      if (gain > bestGain) {
        best = a;
        bestGain = gain;
      }
    }
    if (best < 0) return { best, cost: Infinity };
    const s = split(this.masks, set, count, best);
    if (three) {
      const m = this.means3;
      return { best, cost: 1 + (s.yes * m[s.yes]! + s.no * m[s.no]! + s.unknown * m[s.unknown]!) / count };
    }
    const m = this.means;
    return { best, cost: 1 + (s.yes * m[s.yes + s.unknown]! + s.no * m[s.no + s.unknown]! + s.unknown * m[count]!) / count };
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
    const { best, cost } = this.score(belief, set, count, rules.wrong_guess);
    const guessCost = 1 + ((count - 1) / count) * (belief.threeWay ? this.means3 : this.means)[count - 1]!;
    const mayGuess = rules.wrong_guess === 'continue' ? guessCost < cost - 1e-9 : count === 1;
    if (left <= 1 || best < 0 || mayGuess) {
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
