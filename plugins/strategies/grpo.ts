import { choice, defaulted, definePlugin, deriveSeed, type GameSpec, type GrpoJob, type OnlineGrpoJob, Rng, stageTraining, type Static, type Trajectory, Type } from '../../framework/plugin.js';

export type GrpoOptions = Static<typeof OPTIONS>;

/** How advantages are scaled, as TRL's `scale_rewards`: by the group's standard deviation, the whole iteration's, or not at all. */
export type RewardScale = GrpoOptions['scale_rewards'];

function std(values: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = from; i < to; i++) mean += values[i]!;
  mean /= n;
  let variance = 0;
  for (let i = from; i < to; i++) variance += (values[i]! - mean) ** 2;
  return Math.sqrt(variance / (n - 1));
}

/**
 * Group-relative advantages: each game's reward minus the mean of its group (the games of one
 * target in one iteration), divided (`scale`) by the group's standard deviation (n - 1, as TRL
 * computes it) plus 1e-4, by the whole iteration's, or by nothing. A group whose games all scored the
 * same teaches nothing: its advantages are 0. Scaled by the group, a group whose games differ a little
 * (wins one question apart) weighs as much as one that tells wins from losses; by the batch, each
 * keeps its own spread (Dr. GRPO).
 */
export function groupAdvantages(rewards: ArrayLike<number>, groupSize: number, scale: RewardScale = 'group'): Float64Array {
  if (rewards.length % groupSize !== 0) throw new Error(`grpo: ${rewards.length} rewards do not make groups of ${groupSize}`);
  const out = new Float64Array(rewards.length);
  const batch = std(rewards, 0, rewards.length);
  for (let g = 0; g < rewards.length; g += groupSize) {
    let mean = 0;
    for (let i = g; i < g + groupSize; i++) mean += rewards[i]!;
    mean /= groupSize;
    const spread = std(rewards, g, g + groupSize);
    const divisor = scale === 'group' ? spread + 1e-4 : scale === 'batch' ? batch + 1e-4 : 1;
    for (let i = g; i < g + groupSize; i++) out[i] = spread < 1e-12 ? 0 : (rewards[i]! - mean) / divisor;
  }
  return out;
}

/**
 * Whether an iteration's groups can teach anything (reference/rl-practice-and-scale.md): the share of
 * groups whose games all scored alike (no advantage, no gradient), and the reward's standard deviation
 * within a group, on average (what the advantages are made of).
 */
export function groupSpread(rewards: ArrayLike<number>, groupSize: number): { zero_spread: number; reward_spread: number } {
  let zero = 0;
  let spread = 0;
  const groups = rewards.length / groupSize;
  for (let g = 0; g < rewards.length; g += groupSize) {
    const s = std(rewards, g, g + groupSize);
    if (s < 1e-12) zero++;
    spread += s;
  }
  return { zero_spread: zero / groups, reward_spread: spread / groups };
}

function outcome(games: readonly Trajectory[], maxQuestions: number): { success: number; avg_questions: number; mean_reward: number; invalid_rate: number } {
  let wins = 0;
  let questions = 0;
  let reward = 0;
  let moves = 0;
  let invalid = 0;
  for (const g of games) {
    if (g.outcome === 'win') wins++;
    questions += g.outcome === 'win' ? g.questions : maxQuestions;
    reward += g.reward ?? 0;
    moves += g.turns.length;
    invalid += g.invalid;
  }
  return { success: wins / games.length, avg_questions: questions / games.length, mean_reward: reward / games.length, invalid_rate: moves > 0 ? invalid / moves : 0 };
}

const OPTIONS = Type.Object(
  {
    iterations: defaulted(Type.Integer({ minimum: 1, maximum: 1000000, default: 100, description: 'Rounds of play-then-update.' })),
    group_size: defaulted(Type.Integer({ minimum: 2, maximum: 256, default: 8, description: 'Games per target per iteration (the group rewards are normalised in).' })),
    targets_per_iteration: defaulted(Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: 'Targets drawn per iteration (0: every candidate once).' })),
    lr: defaulted(Type.Number({ exclusiveMinimum: 0, default: 0.0003, description: 'Adam learning rate.' })),
    epsilon: defaulted(Type.Number({ exclusiveMinimum: 0, default: 0.2, description: 'Clip range of the probability ratio.' })),
    beta: defaulted(Type.Number({ minimum: 0, default: 0.02, description: 'Weight of the KL penalty to the reference policy (0: none).' })),
    temperature: defaulted(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Sampling temperature of the games played for training.' })),
    epochs: defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Passes over the steps of each iteration.' })),
    batch_size: defaulted(Type.Integer({ minimum: 1, maximum: 1000000, default: 512, description: 'Steps per gradient update.' })),
    focus: defaulted(
      Type.Integer({
        minimum: 0,
        maximum: 100,
        default: 0,
        description:
          "A curriculum: the targets lost in the games of the stage's `from:` (an evaluation of the policy GRPO starts from) are drawn 1 + focus times as often as the others. A uniform draw of a few targets a step visits each once a stage; the lost ones are where the games can teach most. 0: every target alike.",
      }),
    ),
    move_regret: defaulted(
      Type.Number({
        minimum: 0,
        default: 0,
        description:
          "Per-move credit (trl backend): each move's tokens get the game's advantage less move_regret times the move's exact regret (the questions it lost against the best move) above the step's mean regret per move, so that a lost game's good moves are not pushed down with its bad ones. Needs an answerer that answers from the truth table (kb, unknown say). 0: the game's advantage alone.",
      }),
    ),
    scale_rewards: defaulted(
      choice(['group', 'batch', 'none'], {
        default: 'group',
        description:
          "What a game's reward less its group's mean is divided by (as TRL's scale_rewards): the group's standard deviation, the iteration's, or nothing. group weighs a group whose games differ a little as much as one that tells wins from losses; batch keeps each group's own spread.",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The targets a stage draws from: every candidate once, and each target the `from:` stage's games lost
 * `focus` more times (a curriculum). Returns the list and how many targets were focused on.
 */
export async function focusedTargets(all: readonly string[], focus: number, games: () => AsyncIterable<Trajectory>): Promise<{ targets: string[]; focused: number }> {
  if (focus === 0) return { targets: [...all], focused: 0 };
  const lost = new Set<string>();
  for await (const g of games()) if (g.outcome !== 'win') lost.add(g.target);
  const focused = all.filter((id) => lost.has(id));
  return { targets: [...all, ...focused.flatMap((id) => Array<string>(focus).fill(id))], focused: focused.length };
}

export default definePlugin({
  kind: 'strategy',
  name: 'grpo',
  description:
    'Online reinforcement learning (GRPO). Each iteration draws targets, plays group_size games per target with the current policy in the worker pool, scores them with the reward plugin, normalises rewards within each group, and takes clipped-surrogate steps (epsilon) with a KL penalty (beta) to the policy the stage started from. A backend with its own trainer (trl) plays the games itself against the engine served on loopback: an iteration is one optimiser step.',
  options: OPTIONS,
  create(options, { domain, rules }) {
    return {
      build: async () => ({ kind: 'grpo', targets: domain.candidates.map((c) => c.id), stats: { prompts: domain.size } }),
      async train(policy, env) {
        const { targets: pool } = await focusedTargets(
          domain.candidates.map((c) => c.id),
          options.focus,
          () => env.games(),
        );
        if (policy.jobs.includes('online-grpo')) {
          // the backend's own trainer plays the games, against the engine the stage serves
          const job: OnlineGrpoJob = {
            kind: 'online-grpo',
            targets: pool,
            serve: (render) => env.serve(render),
            options: {
              steps: options.iterations,
              group_size: options.group_size,
              targets_per_step: options.targets_per_iteration,
              lr: options.lr,
              epsilon: options.epsilon,
              beta: options.beta,
              temperature: options.temperature,
              batch_size: options.batch_size,
              scale_rewards: options.scale_rewards,
              move_regret: options.move_regret,
              ...stageTraining(env),
            },
          };
          await policy.train(job);
          return;
        }
        if (options.move_regret > 0) throw new Error("grpo: move_regret needs a backend whose own trainer plays the games (trl); this policy's backend takes one advantage per game: set move_regret: 0");
        const reference = policy.exportState();
        const rng = new Rng(deriveSeed(env.seed, 'grpo-targets'));
        for (let iteration = 1; iteration <= options.iterations && !env.stop.aborted; iteration++) {
          const targets = options.targets_per_iteration > 0 ? Array.from({ length: options.targets_per_iteration }, () => rng.pick(pool)) : pool;
          const specs: GameSpec[] = targets.flatMap((target, t) =>
            Array.from({ length: options.group_size }, (_, k) => {
              const game = t * options.group_size + k;
              return { game, seed: deriveSeed(env.seed, 'grpo', iteration, game), target };
            }),
          );
          const started = performance.now();
          const games = await env.play(specs, policy.exportState(), { temperature: options.temperature });
          const seconds = (performance.now() - started) / 1000;
          const rewards = games.map((g) => g.reward ?? 0);
          const advantages = groupAdvantages(rewards, options.group_size, options.scale_rewards);
          const job: GrpoJob = {
            kind: 'grpo',
            games,
            advantages,
            reference,
            options: {
              lr: options.lr,
              epsilon: options.epsilon,
              beta: options.beta,
              temperature: options.temperature,
              epochs: options.epochs,
              batch_size: options.batch_size,
              seed: deriveSeed(env.seed, 'grpo-update', iteration),
              session: env.stage,
              stop: env.stop,
            },
          };
          const figures = await policy.train(job);
          if (env.stop.aborted) break; // the update stopped part way: not a point of the curve
          // the figures that tell whether the iteration could teach anything first, for the progress line (a move of the local network is never cut: no `clipped`)
          const { success, invalid_rate, ...played } = outcome(games, rules.max_questions);
          const { kl, ...trained } = figures;
          env.log({ iteration, success, ...groupSpread(rewards, options.group_size), invalid_rate, kl: kl!, ...played, ...trained, games_per_s: games.length / seconds });
          env.progress(iteration, options.iterations, 'iterations');
        }
      },
    };
  },
});
