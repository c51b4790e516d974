import { collect, type DataStats, defaulted, definePlugin, type GameSource, median, type SftRow, stageTraining, type Static, type Trajectory, Type, type SftJob } from '../../framework/plugin.js';

export type WeightedSftOptions = Static<typeof OPTIONS>;

/** Which games go into the data, and how often. */
export type SftSelection = Pick<WeightedSftOptions, 'win_within' | 'factor' | 'include_losses' | 'min_per_animal'> & Partial<Pick<WeightedSftOptions, 'other_wins'>>;

/** Copies of a game before any topping up; a failed game (outcome error) is no example of anything. */
function baseCopies(game: Trajectory, o: SftSelection): number {
  if (game.outcome === 'error') return 0;
  if (game.outcome !== 'win') return o.include_losses ? 1 : 0;
  return game.questions <= o.win_within ? o.factor : (o.other_wins ?? 1);
}

/**
 * Copies of each game: `factor` for an efficient win (at most `win_within` questions), `other_wins`
 * (1) for another win, 1 for a loss when losses are included, none otherwise. Then every animal with
 * fewer than `min_per_animal` rows gets more copies of its own wins (a win left out by `other_wins: 0`
 * included) or kept losses, fewest questions first, until it has them.
 *
 * Two passes over the games, so that none has to stay in memory: the first counts, and keeps the few
 * rows of the animals still short of `min_per_animal` (fewer than that many each); the second streams
 * the rows out, in the games' order, with the copies added.
 */
export async function weightGames(games: GameSource, o: SftSelection): Promise<{ rows: AsyncIterable<SftRow>; stats: DataStats }> {
  const perAnimal = new Map<string, number>();
  // animal -> its rows so far, while it has fewer than min_per_animal copies (null once it has them)
  const short = new Map<string, { at: number; game: number; score: number }[] | null>();
  let count = 0;
  let wins = 0;
  let efficient = 0;
  let selected = 0;
  let rows = 0;
  for await (const game of games()) {
    const at = count++;
    const copies = baseCopies(game, o);
    if (game.outcome === 'win') wins++;
    if (game.outcome === 'win' && game.questions <= o.win_within) efficient++;
    // a win with no copies (other_wins: 0) still tops up an animal that has no better game
    if (copies === 0 && game.outcome !== 'win') continue;
    if (copies > 0) selected++;
    rows += copies;
    const total = (perAnimal.get(game.target) ?? 0) + copies;
    perAnimal.set(game.target, total);
    const list = short.get(game.target);
    if (list === null) continue;
    if (total >= o.min_per_animal) short.set(game.target, null);
    else if (list) list.push({ at, game: game.game, score: score(game) });
    else short.set(game.target, [{ at, game: game.game, score: score(game) }]);
  }
  const added = new Map<number, number>();
  let rebalanced = 0;
  for (const [animal, list] of short) {
    if (list === null) continue;
    const best = [...list].sort((a, b) => a.score - b.score || a.game - b.game);
    for (let i = 0, total = perAnimal.get(animal)!; total < o.min_per_animal; i++, total++, rebalanced++) {
      const at = best[i % best.length]!.at;
      added.set(at, (added.get(at) ?? 0) + 1);
    }
    perAnimal.set(animal, o.min_per_animal);
  }
  const totals = [...perAnimal.values()].filter((n) => n > 0);
  const stats = {
    games: count,
    wins,
    efficient_wins: efficient,
    selected_games: selected,
    rows: rows + rebalanced,
    rebalanced_rows: rebalanced,
    animals: totals.length,
    rows_per_animal_min: totals.length > 0 ? Math.min(...totals) : 0,
    rows_per_animal_median: median(totals) ?? 0,
  };
  async function* stream(): AsyncGenerator<SftRow> {
    let at = 0;
    for await (const game of games()) {
      const copies = baseCopies(game, o) + (added.get(at++) ?? 0);
      if (copies > 0) yield { game, copies };
    }
  }
  return { rows: stream(), stats };
}

/** A loss ranks after every win. */
function score(game: Trajectory): number {
  return game.outcome === 'win' ? game.questions : Number.MAX_SAFE_INTEGER;
}

const OPTIONS = Type.Object(
  {
    win_within: defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 8, description: 'A win in at most this many questions is efficient.' })),
    factor: defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Copies of an efficient win (1: plain SFT).' })),
    other_wins: defaulted(Type.Integer({ minimum: 0, maximum: 1000, default: 1, description: 'Copies of a win that is not efficient (0: copy only the efficient wins, filtered imitation).' })),
    include_losses: defaulted(Type.Boolean({ default: false, description: 'Keep lost games (once each).' })),
    min_per_animal: defaulted(Type.Integer({ minimum: 0, maximum: 100000, default: 0, description: "Copy an animal's best games until it has at least this many rows." })),
    epochs: defaulted(Type.Integer({ minimum: 1, maximum: 100000, default: 15, description: 'Training: passes over the data.' })),
    lr: defaulted(Type.Number({ exclusiveMinimum: 0, default: 0.003, description: 'Training: Adam learning rate.' })),
    batch_size: defaulted(Type.Integer({ minimum: 1, maximum: 1000000, default: 64, description: 'Training: steps per gradient update.' })),
    target_weight: defaulted(Type.Number({ minimum: 0, default: 0.5, description: "Training: weight of the auxiliary loss that makes the guesses point at the game's target at every step (0: off)." })),
  },
  { additionalProperties: false },
);

export default definePlugin({
  kind: 'strategy',
  name: 'weighted-sft',
  description:
    'Supervised fine-tuning data where efficient games count more: a win in at most win_within questions is copied factor times, other wins other_wins times (1), losses only with include_losses; min_per_animal tops up thin animals. Plain SFT is factor: 1.',
  options: OPTIONS,
  create(options) {
    const build = async (games: GameSource) => ({ kind: 'sft' as const, ...(await weightGames(games, options)) });
    return {
      build,
      async train(policy, env) {
        const { rows, stats } = await build(() => env.games());
        env.log({ epoch: 0, ...stats });
        await policy.train({
          kind: 'sft',
          rows: await collect(rows),
          options: {
            epochs: options.epochs,
            lr: options.lr,
            batch_size: options.batch_size,
            target_weight: options.target_weight,
            ...stageTraining(env),
            onEpoch: (figures) => {
              env.log(figures);
              env.progress(figures.epoch!, options.epochs, 'epochs');
            },
          },
        } satisfies SftJob);
      },
    };
  },
});
