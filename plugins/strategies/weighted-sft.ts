import { median, type DataStats, type SftRow } from '../../framework/data/dataset.js';
import type { Trajectory } from '../../framework/game/types.js';
import { definePlugin } from '../../framework/plugins/types.js';

/** Which games go into the data, and how often. */
export interface SftSelection {
  win_within: number;
  factor: number;
  include_losses: boolean;
  min_per_animal: number;
}

export interface WeightedSftOptions extends SftSelection {
  epochs: number;
  lr: number;
  batch_size: number;
  target_weight: number;
}

/**
 * Copies of each game: `factor` for an efficient win (at most `win_within` questions), 1 for another
 * win, 1 for a loss when losses are included, none otherwise. Then every animal with fewer than
 * `min_per_animal` rows gets more copies of its own games, fewest questions first, until it has them.
 */
export function weightGames(games: readonly Trajectory[], o: SftSelection): { rows: SftRow[]; stats: DataStats } {
  const rows: SftRow[] = [];
  let efficient = 0;
  for (const game of games) {
    const win = game.outcome === 'win';
    const copies = win ? (game.questions <= o.win_within ? o.factor : 1) : o.include_losses ? 1 : 0;
    if (win && game.questions <= o.win_within) efficient++;
    if (copies > 0) rows.push({ game, copies });
  }
  const byAnimal = new Map<string, SftRow[]>();
  for (const row of rows) {
    const list = byAnimal.get(row.game.target) ?? [];
    list.push(row);
    byAnimal.set(row.game.target, list);
  }
  let added = 0;
  for (const list of byAnimal.values()) {
    let total = list.reduce((s, r) => s + r.copies, 0);
    if (total >= o.min_per_animal) continue;
    const best = [...list].sort((a, b) => score(a) - score(b) || a.game.game - b.game.game);
    for (let i = 0; total < o.min_per_animal; i++, total++, added++) best[i % best.length]!.copies++;
  }
  const perAnimal = [...byAnimal.values()].map((list) => list.reduce((s, r) => s + r.copies, 0));
  const stats = {
    games: games.length,
    wins: games.filter((g) => g.outcome === 'win').length,
    efficient_wins: efficient,
    selected_games: rows.length,
    rows: rows.reduce((s, r) => s + r.copies, 0),
    rebalanced_rows: added,
    animals: byAnimal.size,
    rows_per_animal_min: perAnimal.length > 0 ? Math.min(...perAnimal) : 0,
    rows_per_animal_median: median(perAnimal) ?? 0,
  };
  return { rows, stats };
}

/** A loss ranks after every win. */
function score(row: SftRow): number {
  return row.game.outcome === 'win' ? row.game.questions : Number.MAX_SAFE_INTEGER;
}

export default definePlugin<'strategy', WeightedSftOptions>({
  kind: 'strategy',
  name: 'weighted-sft',
  description:
    'Supervised fine-tuning data where efficient games count more: a win in at most win_within questions is copied factor times, other wins once, losses only with include_losses; min_per_animal tops up thin animals. Plain SFT is factor: 1.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      win_within: { type: 'integer', minimum: 1, default: 8, description: 'A win in at most this many questions is efficient.' },
      factor: { type: 'integer', minimum: 1, default: 5, description: 'Copies of an efficient win (1: plain SFT).' },
      include_losses: { type: 'boolean', default: false, description: 'Keep lost games (once each).' },
      min_per_animal: { type: 'integer', minimum: 0, default: 0, description: 'Copy an animal\'s best games until it has at least this many rows.' },
      epochs: { type: 'integer', minimum: 1, default: 15, description: 'Training: passes over the data.' },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'Training: Adam learning rate.' },
      batch_size: { type: 'integer', minimum: 1, default: 64, description: 'Training: steps per gradient update.' },
      target_weight: {
        type: 'number',
        minimum: 0,
        default: 0.5,
        description: 'Training: weight of the auxiliary loss that makes the guesses point at the game\'s target at every step (0: off).',
      },
    },
  },
  create(options) {
    const build = (games: readonly Trajectory[]) => ({ kind: 'sft' as const, ...weightGames(games, options) });
    return {
      build,
      async train(policy, env) {
        const { rows, stats } = build(env.games());
        env.log({ epoch: 0, ...stats });
        await policy.train({
          kind: 'sft',
          rows,
          options: {
            epochs: options.epochs,
            lr: options.lr,
            batch_size: options.batch_size,
            target_weight: options.target_weight,
            seed: env.seed,
            stop: env.stop,
            onEpoch: (figures) => {
              env.log(figures);
              env.progress(figures.epoch!, options.epochs, 'epochs');
            },
          },
        });
      },
    };
  },
});
