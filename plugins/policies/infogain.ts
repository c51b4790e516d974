import { Belief, informationGain, members, split, truthMasks } from '../../framework/game/belief.js';
import { optimalMeans } from '../../framework/game/bounds.js';
import { guessQuestion, type Domain } from '../../framework/game/domain.js';
import type { GameView, Move } from '../../framework/game/types.js';
import { definePlugin } from '../../framework/plugins/types.js';

export interface InfogainOptions {
  epsilon: number;
  temperature: number;
}

interface Choice {
  attribute: number;
  gain: number;
  /** Expected questions to finish if this question is asked now (by the optimal-mean estimate). */
  cost: number;
}

/**
 * The expert questioner: tracks the candidates consistent with the answers (see Belief), asks the
 * attribute question with the highest expected information gain, and guesses when a guess is expected
 * to finish sooner. The cost of finishing from n candidates is estimated by the optimal mean for n
 * (the bound's dynamic programme), so from 2 or 3 candidates it guesses, as a perfect player would.
 */
export class InfogainPolicy {
  private readonly beliefs = new WeakMap<GameView, Belief>();
  private readonly masks;
  private readonly means: Float64Array;

  constructor(
    private readonly domain: Domain,
    private readonly options: InfogainOptions,
  ) {
    this.masks = truthMasks(domain);
    this.means = optimalMeans(domain.size, 'continue');
  }

  act(games: readonly GameView[]): Move[] {
    return games.map((game) => this.move(game));
  }

  /** The Belief of a game, kept across its moves so each turn is read once. */
  belief(game: GameView): Belief {
    let belief = this.beliefs.get(game);
    if (!belief) {
      belief = new Belief(this.domain);
      this.beliefs.set(game, belief);
    }
    return belief.update(game.turns);
  }

  /** Every attribute not asked yet, with its gain and expected cost over the candidates in play. */
  choices(belief: Belief, set: Uint32Array, count: number): Choice[] {
    const out: Choice[] = [];
    for (let a = 0; a < this.domain.attributes.length; a++) {
      if (belief.asked[a]) continue;
      const s = split(this.masks, set, count, a);
      const cost = 1 + (s.yes * this.means[s.yes + s.unknown]! + s.no * this.means[s.no + s.unknown]! + s.unknown * this.means[count]!) / count;
      out.push({ attribute: a, gain: informationGain(count, s.yes, s.no, s.unknown), cost });
    }
    return out;
  }

  private move(game: GameView): Move {
    const { rng, rules } = game;
    const belief = this.belief(game);
    const { set, count } = belief.consistent();
    const left = rules.max_questions - game.turns.length;
    const choices = this.choices(belief, set, count);

    if (left > 1 && choices.length > 0 && this.options.epsilon > 0 && rng.next() < this.options.epsilon) {
      return this.ask(rng.pick(choices).attribute);
    }
    let best: Choice | undefined;
    for (const c of choices) if (!best || c.gain > best.gain) best = c;
    const guessCost = 1 + ((count - 1) / count) * this.means[count - 1]!;
    const mayGuess = rules.wrong_guess === 'continue' ? guessCost <= (best?.cost ?? Infinity) : count === 1;
    if (left <= 1 || !best || best.gain <= 1e-9 || mayGuess) {
      const candidates = members(set);
      const pick = this.options.temperature > 0 ? rng.pick(candidates) : candidates[0]!;
      const candidate = this.domain.candidates[pick]!;
      return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
    }
    if (this.options.temperature > 0) {
      const informative = choices.filter((c) => c.gain > 1e-9);
      const top = best.gain;
      const weights = informative.map((c) => Math.exp((c.gain - top) / this.options.temperature));
      return this.ask(informative[rng.weighted(weights)]!.attribute);
    }
    return this.ask(best.attribute);
  }

  private ask(a: number): Move {
    const attribute = this.domain.attributes[a]!;
    return { kind: 'question', text: attribute.question, attribute: attribute.id };
  }
}

export default definePlugin<'policy', InfogainOptions>({
  kind: 'policy',
  name: 'infogain',
  description:
    'The expert: keeps the candidates consistent with the answers, asks the question with the highest expected information gain, and guesses when that is expected to finish sooner. epsilon and temperature make it an imperfect teacher.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      epsilon: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'Probability that a move is a random question not asked yet.' },
      temperature: {
        type: 'number',
        minimum: 0,
        default: 0,
        description: 'Softmax temperature over the gains (bits); 0 always asks the best question.',
      },
    },
  },
  create: (options, { domain }) => new InfogainPolicy(domain, options),
});
