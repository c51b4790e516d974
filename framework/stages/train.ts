import { Type } from '@sinclair/typebox';
import { choice, defaulted } from '../util/typebox.js';
import { showAlarmFigures, TrainingAlarms, type AlarmMode } from './alarms.js';
import { nearest } from '../util/text.js';
import { registry } from '../plugins/builtins.js';
import { pluginField } from '../plugins/ref.js';
import { isTrainable, type PluginRef } from '../plugins/types.js';
import { StageError, type StageContext, type StageOutcome } from '../run/context.js';
import { WorkerError } from '../run/pool.js';
import { earlierWithGames, gamesSource, SETTINGS } from './common.js';
import { defineStage, type SettingsPath, type StageResolver } from './define.js';
import { showFigures, Stopped, trainEnv, type TrainRecord } from './train-env.js';
import { pluginEntry } from './write.js';
import { CurveWriter } from '../run/curve.js';

/** Trains the current policy (or a fresh one) with a strategy; its checkpoint becomes the current policy. */
export interface TrainStage {
  kind: 'train';
  name: string;
  strategy: PluginRef;
  /** The stage whose games offline strategies learn from (absent when there is none before). */
  from?: string;
  /** current: go on from the policy so far; fresh: start again from the experiment's policy; or the name of an earlier train stage: from the policy it made. */
  start: string;
  /** The policy to train instead of the current one (a second backend trained beside the first on the same data). */
  policy?: PluginRef;
  /** The reward of the games the stage plays (online strategies), instead of the experiment's. */
  reward?: PluginRef;
  /** What an alarm for training that learns nothing does: warn once, or stop the stage. */
  alarms: AlarmMode;
  /** How the trained policy is called in tables; the stage name unless set. */
  label: string;
}

const files = (name: string) => ({ curve: `${name}.curve.jsonl`, checkpoint: `${name}.ckpt.json`, model: `${name}.model` });

const settings = Type.Object(
  {
    name: SETTINGS.name,
    from: SETTINGS.from('The stage whose games offline strategies learn from; defaults to the last generate stage before this one.'),
    strategy: pluginField({ description: 'weighted-sft, dpo or grpo (twentyq plugins strategy).' }),
    start: defaulted(
      Type.String({
        minLength: 1,
        default: 'current',
        description: "current: go on from the policy trained so far; fresh: start again from the experiment's policy; or the name of an earlier train stage: from the policy it made (e.g. two GRPO stages from one weighted-SFT start).",
      }),
    ),
    policy: Type.Optional(
      pluginField({
        description: "The policy to train, instead of the current one (e.g. a local policy trained beside the experiment's language model on the same data); the stages after it go on with its checkpoint.",
      }),
    ),
    reward: Type.Optional(pluginField({ description: "The reward of the games an online strategy (grpo) plays in this stage, instead of the experiment's (twentyq plugins reward)." })),
    alarms: defaulted(
      choice(['warn', 'stop'], {
        default: 'warn',
        description:
          'What the alarms for training that learns nothing do (GRPO: 90% or more of the groups scoring alike for 5 steps running, or 5% or more of the games cut at a token limit): warn once, or stop the stage (what it trained so far is saved) and fail the run.',
      }),
    ),
    label: Type.Optional(Type.String({ minLength: 1, description: 'Name of the trained policy in tables; defaults to the stage name.' })),
  },
  {
    additionalProperties: false,
    description: "Trains the current policy (a trainable backend such as local) with a strategy: weighted-sft and dpo learn from a stage's games, grpo plays its own. The checkpoint becomes the current policy of the stages after it.",
  },
);

/** A train stage trains the experiment's policy (or what earlier train stages made of it): it must be trainable. */
async function checkTrainable(policy: PluginRef, at: StageResolver, where: SettingsPath, whose: string): Promise<void> {
  if (policy.use === '') return;
  const def = await registry.load('policy', policy.use);
  if (def.trainable) return;
  const trainable = (await Promise.all(registry.names('policy').map((n) => registry.load('policy', n)))).filter((d) => d.trainable).map((d) => d.name);
  at.problem(where, `${whose} ${policy.label} cannot be trained; a train stage needs a trainable one (${trainable.join(', ')}), e.g. policy: { use: ${trainable[0]} }`);
}

/** Where a train stage starts: current, fresh, or the policy an earlier train stage made. */
function checkStart(start: string, at: StageResolver): void {
  if (start === 'current' || start === 'fresh') return;
  const names = at.scope.earlier.filter((s) => s.kind === 'train').map((s) => s.name);
  if (names.includes(start)) return;
  const guess = nearest(start, names);
  at.problem(
    ['start'],
    `start is current, fresh or the name of an earlier train stage; no earlier train stage is named "${start}"${guess ? `; did you mean "${guess}"?` : ''}${names.length > 0 ? ` Earlier train stages: ${names.join(', ')}` : ''}`,
  );
}

/** The policy an earlier train stage made (validation checked that there is one), as the run recorded it. */
function trainedBy(name: string, ctx: StageContext): PluginRef {
  const policy = ctx.run.stage(name).outcome?.policy;
  if (!policy) throw new StageError(`train stage ${name} has not finished: there is no policy of its to start from`);
  return policy;
}

export default defineStage({
  kind: 'train',
  settings,
  files,
  async resolve(s, at) {
    const own = s.policy === undefined ? undefined : await at.plugin('policy', s.policy, ['policy']);
    await checkTrainable(own ?? at.scope.policy, at, own ? ['policy'] : [], own ? "the stage's policy" : "the experiment's policy");
    const strategy = await at.plugin('strategy', s.strategy, ['strategy']);
    const reward = s.reward === undefined ? undefined : await at.plugin('reward', s.reward, ['reward']);
    checkStart(s.start, at);
    const from = s.from !== undefined || earlierWithGames(at).length > 0 ? gamesSource(s.from, at) : undefined;
    if (!strategy) return undefined;
    return { kind: 'train', name: at.name, strategy, ...(from ? { from } : {}), start: s.start, ...(own ? { policy: own } : {}), ...(reward ? { reward } : {}), alarms: s.alarms, label: s.label ?? at.name };
  },
  run: train,
  write: (stage) => ({
    name: stage.name,
    strategy: pluginEntry(stage.strategy),
    ...(stage.from ? { from: stage.from } : {}),
    start: stage.start,
    ...(stage.policy ? { policy: pluginEntry(stage.policy) } : {}),
    ...(stage.reward ? { reward: pluginEntry(stage.reward) } : {}),
    alarms: stage.alarms,
    label: stage.label,
  }),
  // the policy it trains is an instance of its own; what its games are played against is the experiment's
  uses: (stage, { answerer, reward }) => [
    ['strategy', stage.strategy],
    ['answerer', answerer],
    ['reward', reward],
  ],
  trains: true,
});

/**
 * Trains a policy with a strategy: offline from an earlier stage's games, or online with games played
 * in the worker pool as it goes. Every step's figures go to <stage>.curve.jsonl; the trained policy is
 * saved as <stage>.ckpt.json and becomes the current policy of the stages after.
 */
async function train(stage: TrainStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, experiment, progress, signals } = ctx;
  const base = stage.policy ?? (stage.start === 'fresh' ? experiment.policy : stage.start === 'current' ? ctx.current.policy : trainedBy(stage.start, ctx));
  const policy = await ctx.plugins.fresh('policy', base);
  if (!isTrainable(policy)) {
    throw new StageError(`${stage.name}: policy ${base.label} cannot be trained; use a trainable backend such as { use: local } as the experiment's policy`);
  }
  // a server the run launched on the device it trains on gives it back first (started again when a later stage asks)
  await ctx.models.launches.release(policy.device, stage.name);
  const strategy = await ctx.plugins.create('strategy', stage.strategy);
  const { curve: curveFile, checkpoint: file, model: modelDir } = files(stage.name);
  const curve = new CurveWriter(run.file(curveFile), ctx.resuming);
  run.setStage(stage.name, 'running', curveFile);
  const record: TrainRecord = { last: {}, environments: [], alarms: new TrainingAlarms(stage.name, stage.alarms), alarmStop: new AbortController() };
  let stopped = false;
  try {
    await strategy.train(policy, trainEnv(stage, ctx, base, curve, run.file(modelDir), record));
  } catch (error) {
    if (error instanceof StageError || error instanceof WorkerError) throw error; // the runner names the stage of a dead worker
    // a backend's failure (a Python trainer that exits with an error, a model folder that is not one) names the stage
    if (!(error instanceof Stopped)) throw new StageError(`${stage.name}: training ${stage.label} with ${stage.strategy.label} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    stopped = true;
  } finally {
    progress.stop();
    curve.close();
    await Promise.all(record.environments.map((e) => e.close()));
  }
  stopped ||= signals.stop.aborted || record.alarmStop.signal.aborted;
  policy.save(run.file(file), { experiment: experiment.name, stage: stage.name, strategy: stage.strategy, seed: experiment.seed, complete: !stopped });
  const alarm = record.alarmStop.signal.aborted ? record.alarms.fired.at(-1) : undefined;
  if (alarm) throw new StageError(`${alarm.message} What it trained until then is in ${file}.`);
  const grpo = record.alarms.figures();
  run.setStage(stage.name, 'running', file);
  ctx.current.policy = { use: base.use, with: { ...base.with, checkpoint: run.file(file) }, label: stage.label };
  const figures = Object.keys(record.last).length > 0 ? showFigures(record.last) : undefined;
  const shown = figures ? ` (${figures})` : '';
  // an interrupted stage says so: what it saved is the training so far, which --resume continues
  progress.log(stopped ? `${stage.name}: interrupted; ${stage.strategy.label} so far -> ${file}${shown}` : `${stage.name}: ${stage.strategy.label} -> ${file}${shown}`);
  return {
    completed: !stopped,
    rows: [],
    notes: [
      stopped
        ? `${stage.name}: interrupted while training ${stage.label} with ${stage.strategy.label}${shown}; twentyq run --resume finishes it`
        : `${stage.name}: trained ${stage.label} with ${stage.strategy.label}${figures ? `: ${figures}` : ''}`,
      ...(grpo ? [`${stage.name}: ${showAlarmFigures(grpo)}`, ...grpo.alarms.map((a) => `warning: ${a.message}`)] : []),
    ],
    metrics: { strategy: stage.strategy.label, start: stage.start, checkpoint: file, curve: curveFile, ...record.last, ...(grpo ? { grpo } : {}) },
  };
}
