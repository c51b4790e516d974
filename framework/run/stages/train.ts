import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_FILES } from '../../config/files.js';
import type { TrainStage } from '../../config/types.js';
import type { Trajectory } from '../../game/types.js';
import { isTrainable, type GameEnvironment, type PluginRef, type Policy, type TrainablePolicy, type TrainEnv } from '../../plugins/types.js';
import { serveEnvironment } from '../environment.js';
import { JsonlWriter } from '../rundir.js';
import { deriveSeed } from '../../util/rng.js';
import { playInBatches } from '../batches.js';
import { concurrencyOf, playWaiting, waitingPlayers } from '../waiting.js';
import { WorkerError } from '../pool.js';
import type { PlayResult } from '../worker.js';
import { StageError, type StageContext, type StageOutcome } from '../context.js';

/** Thrown out of TrainEnv.play when Ctrl-C stops a round of games half way. */
class Stopped extends Error {}

function show(figures: Record<string, number>): string {
  return Object.entries(figures)
    .filter(([k]) => !['epoch', 'iteration', 'step', 'steps', 'pairs'].includes(k))
    .slice(0, 6)
    .map(([k, v]) => `${k} ${k === 'success' ? `${(100 * v).toFixed(1)}%` : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(3)}`)
    .join(', ');
}

/** The policy an earlier train stage made (validation checked that there is one), as the run recorded it. */
function trainedBy(name: string, ctx: StageContext): PluginRef {
  const policy = ctx.run.stage(name).outcome?.policy;
  if (!policy) throw new StageError(`train stage ${name} has not finished: there is no policy of its to start from`);
  return policy;
}

/**
 * Trains a policy with a strategy: offline from an earlier stage's games, or online with games played
 * in the worker pool as it goes. Every step's figures go to <stage>.curve.jsonl; the trained policy is
 * saved as <stage>.ckpt.json and becomes the current policy of the stages after.
 */
export async function train(stage: TrainStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, experiment, domain, progress, pool, signals } = ctx;
  const base = stage.policy ?? (stage.start === 'fresh' ? experiment.policy : stage.start === 'current' ? ctx.current.policy : trainedBy(stage.start, ctx));
  const policy = await ctx.plugins.fresh('policy', base);
  if (!isTrainable(policy)) {
    throw new StageError(`${stage.name}: policy ${base.label} cannot be trained; use a trainable backend such as { use: local } as the experiment's policy`);
  }
  const strategy = await ctx.plugins.create('strategy', stage.strategy);
  const rewardRef = stage.reward ?? experiment.reward;
  const { curve: curveFile, checkpoint: file, model: modelDir } = STAGE_FILES.train(stage.name);
  const curve = run.openJsonl(curveFile, 'w');
  run.setStage(stage.name, 'running', curveFile);
  let last: Record<string, number> = {};
  let total = 0;
  let stopped = false;
  let player: Promise<Policy> | undefined;
  const env: TrainEnv = {
    domain,
    rules: experiment.game,
    seed: deriveSeed(experiment.seed, stage.name),
    stage: stage.name,
    games: () => {
      if (!stage.from) throw new StageError(`${stage.name}: strategy ${stage.strategy.label} learns from games; put a generate stage before it or set from:`);
      return ctx.games(stage.from);
    },
    async play(specs, state, { temperature }) {
      const ref: PluginRef = { ...base, with: { ...base.with, temperature } };
      const games: Trajectory[] = [];
      const onResult = (result: PlayResult) => void games.push(...result.trajectories!);
      const waiting = await waitingPlayers(ref, experiment.answerer);
      let completed: boolean;
      if (waiting.policy || waiting.answerer) {
        // one instance for the whole stage (a waiting policy may hold a client or a server), given each round's weights
        player ??= ctx.plugins.fresh('policy', ref);
        const [policy, answerer] = await Promise.all([player, ctx.plugins.create('answerer', experiment.answerer)]);
        (policy as TrainablePolicy).importState(state);
        const playing = { domain, rules: experiment.game, policy, answerer, policyLabel: ref.label, answererLabel: experiment.answerer.label };
        completed = await playWaiting(specs, {
          stage: stage.name,
          players: playing,
          reward: await ctx.plugins.create('reward', rewardRef),
          rewardLabel: rewardRef.label,
          concurrency: concurrencyOf(stage.name, waiting, playing),
          // a failed game has no reward to learn from: training fails instead of guessing one
          tolerate: { policy: false, answerer: false },
          onResult,
          stop: signals.stop,
          trajectories: true,
        });
      } else {
        completed = await playInBatches(pool, { stage: stage.name, setup: ctx.setup, policy: ref, answerer: experiment.answerer, reward: rewardRef, trajectories: true, policyState: state }, specs, {
          stop: signals.stop,
          batchSize: Math.ceil(specs.length / (pool.workers * 2)),
          onResult,
        });
      }
      if (!completed) throw new Stopped();
      return games;
    },
    log(figures) {
      curve.write(JSON.stringify({ stage: stage.name, ...figures }) + '\n');
      last = figures;
    },
    progress(done, of, unit) {
      if (of !== total) progress.start(`${stage.name} ${stage.strategy.label}`, (total = of), unit);
      progress.update(done, { note: show(last) });
    },
    stop: signals.stop,
    workdir: run.file(modelDir),
    resume: ctx.resuming,
    async serve(render) {
      const [answerer, reward] = await Promise.all([ctx.plugins.create('answerer', experiment.answerer), ctx.plugins.create('reward', rewardRef)]);
      mkdirSync(env.workdir, { recursive: true });
      const games = new JsonlWriter(join(env.workdir, 'games.jsonl'), ctx.resuming ? 'a' : 'w');
      const served = await serveEnvironment({
        players: { domain, rules: experiment.game, answerer, policyLabel: base.label, answererLabel: experiment.answerer.label },
        reward,
        render,
        seed: env.seed,
        onGame: (game) => games.write(JSON.stringify(game) + '\n'),
      });
      let closing: Promise<void> | undefined;
      const environment: GameEnvironment = {
        url: served.url,
        get games() {
          return served.games;
        },
        close: () => (closing ??= served.close().then(() => games.close())),
      };
      environments.push(environment);
      return environment;
    },
  };
  const environments: GameEnvironment[] = [];
  try {
    await strategy.train(policy, env);
  } catch (error) {
    if (error instanceof StageError || error instanceof WorkerError) throw error; // the runner names the stage of a dead worker
    // a backend's failure (a Python trainer that exits with an error, a model folder that is not one) names the stage
    if (!(error instanceof Stopped)) throw new StageError(`${stage.name}: training ${stage.label} with ${stage.strategy.label} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    stopped = true;
  } finally {
    progress.stop();
    curve.close();
    await Promise.all(environments.map((e) => e.close()));
  }
  stopped ||= signals.stop.aborted;
  policy.save(run.file(file), { experiment: experiment.name, stage: stage.name, strategy: stage.strategy, seed: experiment.seed, complete: !stopped });
  run.setStage(stage.name, 'running', file);
  ctx.current.policy = { use: base.use, with: { ...base.with, checkpoint: run.file(file) }, label: stage.label };
  progress.log(`${stage.name}: ${stage.strategy.label} -> ${file}${Object.keys(last).length > 0 ? ` (${show(last)})` : ''}`);
  return {
    completed: !stopped,
    rows: [],
    notes: [`${stage.name}: trained ${stage.label} with ${stage.strategy.label}${Object.keys(last).length > 0 ? `: ${show(last)}` : ''}`],
    metrics: { strategy: stage.strategy.label, start: stage.start, checkpoint: file, curve: curveFile, ...last },
  };
}
