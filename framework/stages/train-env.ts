import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderOptions } from '../game/chat.js';
import type { Trajectory } from '../game/types.js';
import type { GameEnvironment, PluginRef, Policy, TrainablePolicy, TrainEnv } from '../plugins/types.js';
import { playInBatches } from '../run/batches.js';
import { StageError, type StageContext } from '../run/context.js';
import { serveEnvironment } from '../run/environment.js';
import { turnRegretsFor } from './regret.js';
import { JsonlWriter } from '../run/jsonl.js';
import { concurrencyOf, playerNames, playWaiting, waitingPlayers } from '../run/waiting.js';
import { pluginName } from '../plugins/factory.js';
import type { PlayResult } from '../run/worker.js';
import { deriveSeed } from '../util/rng.js';
import type { TrainStage } from './train.js';
import type { CurveWriter } from '../run/curve.js';
import type { TrainingAlarms } from './alarms.js';

/** Thrown out of TrainEnv.play when Ctrl-C stops a round of games half way. */
export class Stopped extends Error {}

/** A step's figures as the progress line and the summary show them: the first few that say most. */
export function showFigures(figures: Record<string, number>): string {
  return Object.entries(figures)
    .filter(([k]) => !['epoch', 'iteration', 'step', 'steps', 'pairs'].includes(k))
    .slice(0, 6)
    .map(([k, v]) => `${k} ${k === 'success' ? `${(100 * v).toFixed(1)}%` : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(3)}`)
    .join(', ');
}

/** What a training stage keeps while its strategy trains: the last figures logged, the engines it served, its alarms. */
export interface TrainRecord {
  last: Record<string, number>;
  environments: GameEnvironment[];
  alarms: TrainingAlarms;
  /** Aborted when an alarm stops the stage (alarms: stop). */
  alarmStop: AbortController;
}

/**
 * The TrainEnv a strategy trains with: the stage's games, games played as it goes, its curve
 * (<stage>.curve.jsonl through `curve`) and progress, and the engine served to a backend that plays itself.
 */
export function trainEnv(stage: TrainStage, ctx: StageContext, base: PluginRef, curve: CurveWriter, workdir: string, record: TrainRecord): TrainEnv {
  const { experiment, progress, signals } = ctx;
  const seed = deriveSeed(experiment.seed, stage.name);
  let total = 0;
  return {
    domain: ctx.domain,
    rules: experiment.game,
    seed,
    stage: stage.name,
    games: () => {
      if (!stage.from) throw new StageError(`${stage.name}: strategy ${stage.strategy.label} learns from games; put a generate stage before it or set from:`);
      return ctx.games(stage.from);
    },
    play: roundPlayer(stage.name, ctx, base, stage.reward ?? experiment.reward),
    log(figures) {
      curve.write({ stage: stage.name, ...figures });
      record.last = figures;
      const alarm = record.alarms.observe(figures);
      if (!alarm) return;
      progress.log(`warning: ${alarm.message}`);
      if (stage.alarms === 'stop') record.alarmStop.abort();
    },
    progress(done, of, unit) {
      if (of !== total) progress.start(`${stage.name} ${stage.strategy.label}`, (total = of), unit);
      progress.update(done, { note: showFigures(record.last) });
    },
    stop: AbortSignal.any([signals.stop, record.alarmStop.signal]),
    workdir,
    resume: ctx.resuming,
    async serve(render) {
      const environment = await serveGames(ctx, base, stage.reward ?? experiment.reward, seed, workdir, render);
      record.environments.push(environment);
      return environment;
    },
  };
}

/**
 * Plays a round of games with given policy weights: in the worker pool, or in the main process when a
 * player waits on a model (one policy instance for the whole stage: it may hold a client or a server).
 */
function roundPlayer(stage: string, ctx: StageContext, base: PluginRef, reward: PluginRef): TrainEnv['play'] {
  const { experiment, pool, signals } = ctx;
  let player: Promise<Policy> | undefined;
  return async (specs, state, { temperature }) => {
    const ref: PluginRef = { ...base, with: { ...base.with, temperature } };
    const games: Trajectory[] = [];
    const onResult = (result: PlayResult) => void games.push(...result.trajectories!);
    const waiting = await waitingPlayers(ref, experiment.answerer);
    let completed: boolean;
    if (waiting.policy || waiting.answerer) {
      player ??= ctx.plugins.fresh('policy', ref);
      const [policy, answerer] = await Promise.all([player, ctx.plugins.create('answerer', experiment.answerer)]);
      (policy as TrainablePolicy).importState(state);
      const playing = { domain: ctx.domain, rules: experiment.game, policy, answerer, ...playerNames(ref, experiment.answerer) };
      completed = await playWaiting(specs, {
        stage,
        players: playing,
        reward: await ctx.plugins.create('reward', reward),
        rewardName: pluginName('reward', reward),
        concurrency: concurrencyOf(stage, waiting, playing),
        // a failed game has no reward to learn from: training fails instead of guessing one
        tolerate: { policy: false, answerer: false },
        onResult,
        stop: signals.stop,
        trajectories: true,
      });
    } else {
      completed = await playInBatches(pool, { stage, setup: ctx.setup, policy: ref, answerer: experiment.answerer, reward, trajectories: true, policyState: state }, specs, {
        stop: signals.stop,
        batchSize: Math.ceil(specs.length / (pool.workers * 2)),
        onResult,
      });
    }
    if (!completed) throw new Stopped();
    return games;
  };
}

/** The game engine served for a backend that plays its games itself; they go to <workdir>/games.jsonl. */
async function serveGames(ctx: StageContext, base: PluginRef, rewardRef: PluginRef, seed: number, workdir: string, render: RenderOptions): Promise<GameEnvironment> {
  const { experiment } = ctx;
  const [answerer, reward] = await Promise.all([ctx.plugins.create('answerer', experiment.answerer), ctx.plugins.create('reward', rewardRef)]);
  mkdirSync(workdir, { recursive: true });
  const games = new JsonlWriter(join(workdir, 'games.jsonl'), ctx.resuming ? 'a' : 'w');
  const served = await serveEnvironment({
    players: { domain: ctx.domain, rules: experiment.game, answerer, ...playerNames(base, experiment.answerer) },
    reward,
    rewardName: pluginName('reward', rewardRef),
    render,
    seed,
    onGame: (game) => games.write(JSON.stringify(game) + '\n'),
    // each turn's exact regret goes with a game's last answer where the answerer is deterministic (a trainer's per-move credit)
    regrets: turnRegretsFor(answerer, ctx.domain, experiment.game),
  });
  let closing: Promise<void> | undefined;
  return {
    url: served.url,
    get games() {
      return served.games;
    },
    close: () => (closing ??= served.close().then(() => games.close())),
  };
}
