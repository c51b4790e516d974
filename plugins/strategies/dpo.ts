import {
  Belief,
  choice,
  collect,
  countWhere,
  type DataStats,
  defaulted,
  definePlugin,
  deriveSeed,
  type Domain,
  type GameSource,
  informationGain,
  informationGain3,
  median,
  type Move,
  type PreferencePair,
  Rng,
  type Rules,
  stageTraining,
  type Static,
  type Trajectory,
  truthMasks,
  type Turn,
  Type,
  UNKNOWN,
  YES,
  type DpoJob,
} from '../../framework/plugin.js';

export type PairKind = PreferencePair['kind'];

export type DpoOptions = Static<typeof OPTIONS>;

/** Which pairs to make; `unknown`: how information pairs read "unknown" (see Belief), auto: as the games show the answerer answering. */
export type PairOptions = Omit<DpoOptions, 'beta' | 'epochs' | 'lr' | 'batch_size'>;

/** How good a game was: questions to a win; a loss ranks after every win. */
export function gameScore(game: Trajectory, rules: Rules): number {
  return game.outcome === 'win' ? game.questions : rules.max_questions + 1;
}

function moveKey(move: Move): string {
  if (move.kind === 'question') return move.attribute !== undefined ? `q:${move.attribute}` : `t:${move.text.trim().toLowerCase()}`;
  if (move.kind === 'guess') return `g:${move.candidate}`;
  return `i:${move.text}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Divergence pairs of one target: games that share a history (the same moves and the same answers)
 * and then make different moves. The moves are compared by the best game that followed each: the one
 * whose best game won in at least `margin` fewer questions is chosen. Walks the games' common
 * prefixes as a tree, so it is linear in the turns, not quadratic in the games.
 */
export function divergencePairs(games: readonly Trajectory[], rules: Rules, margin: number): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  const best = (group: readonly Trajectory[]) => group.reduce((a, b) => (gameScore(b, rules) < gameScore(a, rules) ? b : a));
  const visit = (group: readonly Trajectory[], depth: number, history: Turn[]) => {
    const going = group.filter((g) => g.turns.length > depth);
    const byMove = [...groupBy(going, (g) => moveKey(g.turns[depth]!.move)).values()];
    if (byMove.length > 1) {
      const leaders = byMove.map(best);
      for (let i = 0; i < leaders.length; i++) {
        for (let j = 0; j < leaders.length; j++) {
          const a = leaders[i]!;
          const b = leaders[j]!;
          const sa = gameScore(a, rules);
          const sb = gameScore(b, rules);
          if (i === j || sa > rules.max_questions || sa + margin > sb) continue;
          pairs.push({
            kind: 'divergence',
            target: a.target,
            history,
            chosen: a.turns[depth]!.move,
            rejected: b.turns[depth]!.move,
            source: { chosen_game: a.game, rejected_game: b.game, chosen_score: sa, rejected_score: sb },
          });
        }
      }
    }
    for (const sameMove of byMove) {
      for (const sameAnswer of groupBy(sameMove, (g) => g.turns[depth]!.answer ?? '-').values()) {
        if (sameAnswer.length > 1) visit(sameAnswer, depth + 1, [...history, sameAnswer[0]!.turns[depth]!]);
      }
    }
  };
  visit(games, 0, []);
  return pairs;
}

/**
 * Information pairs of one game: at some of its states (the history so far), the question with the
 * highest expected information gain over the candidates still consistent is chosen, and a question
 * that gains at least `minGap` bits less is rejected. States are drawn with the game's own seed.
 */
export function informationPairs(game: Trajectory, domain: Domain, perGame: number, minGap: number, threeWay = false): PreferencePair[] {
  const gain = threeWay ? informationGain3 : informationGain;
  const masks = truthMasks(domain);
  const rng = new Rng(deriveSeed(game.seed, 'information-pairs'));
  // States in a random order (every state when perGame is 0), scored one by one until enough qualify.
  const order = [...game.turns.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const wanted = perGame <= 0 ? order.length : perGame;
  const pairs: PreferencePair[] = [];
  for (const k of order) {
    if (pairs.length >= wanted) break;
    const history = game.turns.slice(0, k);
    const belief = new Belief(domain, threeWay).update(history);
    const { set, count } = belief.consistent();
    if (count <= 1) continue;
    const gains = new Float64Array(domain.attributes.length).fill(-1);
    let best = -1;
    for (let a = 0; a < gains.length; a++) {
      if (belief.asked[a]) continue;
      const yes = countWhere(masks.yes, masks.words, set, a);
      const no = countWhere(masks.no, masks.words, set, a);
      gains[a] = gain(count, yes, no, count - yes - no);
      if (best < 0 || gains[a]! > gains[best]!) best = a;
    }
    if (best < 0 || gains[best]! < minGap) continue;
    const low: number[] = [];
    gains.forEach((g, a) => g >= 0 && g <= gains[best]! - minGap && low.push(a));
    if (low.length === 0) continue;
    const worse = low[rng.int(low.length)]!;
    const ask = (a: number): Move => ({ kind: 'question', text: domain.attributes[a]!.question, attribute: domain.attributes[a]!.id });
    pairs.push({ kind: 'information', target: game.target, history, chosen: ask(best), rejected: ask(worse), source: { chosen_gain: gains[best]!, rejected_gain: gains[worse]! } });
  }
  return pairs.sort((a, b) => a.history.length - b.history.length);
}

/** Keeps at most `max` pairs of a target: the clearest preferences first (largest gap in score or gain). */
function cap(pairs: PreferencePair[], max: number): PreferencePair[] {
  if (max <= 0 || pairs.length <= max) return pairs;
  const gap = (p: PreferencePair) => (p.kind === 'divergence' ? p.source.rejected_score! - p.source.chosen_score! : p.source.chosen_gain! - p.source.rejected_gain!);
  return pairs
    .map((p, i) => ({ p, i }))
    .sort((a, b) => gap(b.p) - gap(a.p) || a.i - b.i)
    .slice(0, max)
    .sort((a, b) => a.i - b.i)
    .map(({ p }) => p);
}

/**
 * Whether the games were answered with "unknown" exactly on the facts the table marks unknown (as `kb`
 * answers by default, `unknown: say`): then an answer of any kind carries information, and information
 * pairs read it three ways, as the expert playing those games does. One answer that breaks the rule
 * (a coin, noise, a model) makes it two-way.
 */
export function answeredThreeWay(games: readonly Trajectory[], domain: Domain): boolean {
  const truth = domain.truth;
  if (!truth) return false;
  const attributes = domain.attributes.length;
  let unknowns = 0;
  for (const game of games) {
    const c = domain.candidateIndexOf(game.target);
    if (c === undefined) return false;
    for (const { move, answer } of game.turns) {
      if (move.kind !== 'question' || move.attribute === undefined || answer === undefined) continue;
      const a = domain.attributeIndexOf(move.attribute);
      if (a === undefined) continue;
      const fact = truth[c * attributes + a];
      if ((answer === 'unknown') !== (fact === UNKNOWN)) return false;
      if (answer === 'unknown') unknowns++;
      else if ((answer === 'yes') !== (fact === YES)) return false;
    }
  }
  return unknowns > 0;
}

export function buildPairs(games: readonly Trajectory[], domain: Domain, rules: Rules, o: PairOptions): { pairs: PreferencePair[]; stats: DataStats } {
  if (o.kinds.includes('information') && !domain.truth) throw new Error(`dpo: information pairs need a domain with a truth table; ${domain.name} has none`);
  const threeWay = o.kinds.includes('information') && (o.unknown === 'three-way' || (o.unknown === 'auto' && answeredThreeWay(games, domain)));
  const pairs: PreferencePair[] = [];
  const perTarget: number[] = [];
  for (const [, group] of groupBy(games, (g) => g.target)) {
    const mine: PreferencePair[] = [];
    if (o.kinds.includes('divergence')) mine.push(...cap(divergencePairs(group, rules, o.margin), o.max_pairs_per_target));
    if (o.kinds.includes('information'))
      mine.push(
        ...cap(
          group.flatMap((g) => informationPairs(g, domain, o.information_per_game, o.min_gain_gap, threeWay)),
          o.max_pairs_per_target,
        ),
      );
    perTarget.push(mine.length);
    pairs.push(...mine);
  }
  const stats: DataStats = {
    games: games.length,
    pairs: pairs.length,
    divergence_pairs: pairs.filter((p) => p.kind === 'divergence').length,
    information_pairs: pairs.filter((p) => p.kind === 'information').length,
    animals: perTarget.filter((n) => n > 0).length,
    pairs_per_animal_median: median(perTarget) ?? 0,
    three_way: threeWay ? 1 : 0,
  };
  return { pairs, stats };
}

const OPTIONS = Type.Object(
  {
    kinds: defaulted(Type.Array(choice(['divergence', 'information']), { minItems: 1, uniqueItems: true, default: ['divergence', 'information'], description: 'Which pairs to make.' })),
    margin: defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Divergence: the chosen side won in at least this many fewer questions (a loss is worse than any win).' })),
    max_pairs_per_target: defaulted(Type.Integer({ minimum: 0, maximum: 1000000, default: 200, description: 'Per target and kind, the clearest pairs kept (0: all).' })),
    information_per_game: defaulted(Type.Integer({ minimum: 0, maximum: 1000, default: 2, description: 'Information: states drawn per game (0: every state).' })),
    min_gain_gap: defaulted(Type.Number({ minimum: 0, default: 0.5, description: 'Information: the rejected question gains at least this many bits less.' })),
    unknown: defaulted(
      choice(['auto', 'three-way', 'two-way'], {
        default: 'auto',
        description:
          'Information: how "unknown" is read when gains are computed: three-way (it means the table\'s fact is unknown), two-way (it tells nothing), or auto: three-way when every answer in the games is the table\'s own fact, unknown included (kb with unknown: say), as infogain reads it.',
      }),
    ),
    beta: defaulted(Type.Number({ exclusiveMinimum: 0, default: 0.1, description: 'Training: strength of the pull to the reference (the policy before DPO).' })),
    epochs: defaulted(Type.Integer({ minimum: 1, maximum: 100000, default: 2, description: 'Training: passes over the pairs.' })),
    lr: defaulted(Type.Number({ exclusiveMinimum: 0, default: 0.0003, description: 'Training: Adam learning rate.' })),
    batch_size: defaulted(Type.Integer({ minimum: 1, maximum: 1000000, default: 128, description: 'Training: pairs per gradient update.' })),
  },
  { additionalProperties: false },
);

export default definePlugin({
  kind: 'strategy',
  name: 'dpo',
  description:
    'Preference pairs for the same target. divergence: two games share a history, then move differently; the move whose game won in at least margin fewer questions is chosen. information: at a state of a game, the question with the highest expected information gain is chosen over one gaining min_gain_gap bits less.',
  options: OPTIONS,
  create(options, { domain, rules }) {
    // pairs compare games of one target, so the games are kept (parsed, never as the file's text)
    // a failed game (outcome error) stopped part way: it is neither a good nor a bad example
    const build = async (games: GameSource) => ({
      kind: 'dpo' as const,
      ...buildPairs(
        (await collect(games())).filter((g) => g.outcome !== 'error'),
        domain,
        rules,
        options,
      ),
    });
    return {
      build,
      async train(policy, env) {
        const { pairs, stats } = await build(() => env.games());
        env.log({ epoch: 0, ...stats });
        await policy.train({
          kind: 'dpo',
          pairs,
          reference: policy.exportState(),
          options: {
            beta: options.beta,
            epochs: options.epochs,
            lr: options.lr,
            batch_size: options.batch_size,
            ...stageTraining(env),
            onEpoch: (figures) => {
              env.log(figures);
              env.progress(figures.epoch!, options.epochs, 'epochs');
            },
          },
        } satisfies DpoJob);
      },
    };
  },
});
