import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../framework/config/errors.js';
import { loadExperiment } from '../../framework/config/load.js';
import type { EvaluateStage } from '../../framework/stages/evaluate.js';
import type { TrainStage } from '../../framework/stages/train.js';

describe('the trl experiments validate', () => {
  it('tiny-lm: the tiny model through SFT, DPO and GRPO, the local network trained beside it', async () => {
    const e = await loadExperiment('experiments/tiny-lm.yaml');
    expect(e.policy).toMatchObject({ use: 'trl', label: 'tiny-lm' });
    const trains = e.stages.filter((s): s is TrainStage => s.kind === 'train');
    expect(trains.map((s) => [s.name, s.strategy.use, s.policy?.use])).toEqual([
      ['local-sft', 'weighted-sft', 'local'],
      ['local-dpo', 'dpo', undefined],
      ['local-grpo', 'grpo', undefined],
      ['sft', 'weighted-sft', undefined],
      ['dpo', 'dpo', undefined],
      ['grpo', 'grpo', undefined],
    ]);
    // the language model's chain starts again from the experiment's policy, after the local one
    expect(trains.find((s) => s.name === 'sft')!.start).toBe('fresh');
    expect(trains.find((s) => s.name === 'sft')!.strategy.with).toMatchObject({ win_within: 8, factor: 5 });
  });

  it('tiny-lm-rl: the noisy teacher of pipeline.yaml as is; plain SFT, weighted SFT, DPO, GRPO in two stages of 60 steps from weighted SFT and a stage with the regret reward beside them, each paired with the stage before it', async () => {
    const e = await loadExperiment('experiments/tiny-lm-rl.yaml');
    const pipeline = await loadExperiment('experiments/pipeline.yaml');
    const teacher = (x: typeof e) => x.stages.find((s) => s.kind === 'generate')!;
    expect(teacher(e)).toEqual({ ...teacher(pipeline), name: 'teacher' });
    expect(e.policy.use).toBe('trl');
    const trains = e.stages.filter((s): s is TrainStage => s.kind === 'train');
    expect(trains.map((s) => [s.name, s.strategy.use, s.start, s.policy?.use, s.reward?.use])).toEqual([
      ['local-sft', 'weighted-sft', 'current', 'local', undefined],
      ['local-grpo', 'grpo', 'current', undefined, undefined],
      ['plain-sft', 'weighted-sft', 'fresh', undefined, undefined],
      ['weighted-sft', 'weighted-sft', 'fresh', undefined, undefined],
      ['dpo', 'dpo', 'current', undefined, undefined],
      ['grpo-60', 'grpo', 'weighted-sft', undefined, undefined],
      ['grpo', 'grpo', 'current', undefined, undefined],
      ['grpo-regret', 'grpo', 'weighted-sft', undefined, 'regret'],
    ]);
    expect(trains.find((s) => s.name === 'plain-sft')!.strategy.with).toMatchObject({ factor: 1 });
    // the GRPO stages differ in their reward only
    const [efficiency, regret] = trains.filter((s) => s.strategy.use === 'grpo' && s.start === 'weighted-sft');
    expect(regret!.strategy.with).toEqual(efficiency!.strategy.with);
    // the second efficiency stage goes on from the first with the same settings (calibration run M2)
    expect(trains.find((s) => s.name === 'grpo')!.strategy.with).toEqual(efficiency!.strategy.with);
    expect(efficiency!.strategy.with).toMatchObject({ iterations: 60, lr: 0.0001 });
    const baselines = Object.fromEntries(e.stages.filter((s): s is EvaluateStage => s.kind === 'evaluate').map((s) => [s.name, s.baseline]));
    expect(baselines).toMatchObject({
      'eval-weighted-sft': 'eval-plain-sft/plain-sft',
      'eval-dpo': 'eval-weighted-sft/weighted-sft',
      'eval-grpo-60': 'eval-weighted-sft/weighted-sft',
      'eval-grpo': 'eval-weighted-sft/weighted-sft',
      'eval-grpo-regret': 'eval-weighted-sft/weighted-sft',
    });
  });

  it('qwen3-4b: Qwen/Qwen3-4B with LoRA r 16 alpha 32 on CUDA, served by vLLM, weighted SFT then GRPO with the efficiency reward', async () => {
    const e = await loadExperiment('experiments/qwen3-4b.yaml');
    expect(e.policy.with).toMatchObject({ model: 'Qwen/Qwen3-4B', lora: { r: 16, alpha: 32 }, device: 'cuda', serve: 'vllm' });
    expect(e.reward.use).toBe('efficiency');
    const trains = e.stages.filter((s): s is TrainStage => s.kind === 'train');
    expect(trains.map((s) => s.strategy.use)).toEqual(['weighted-sft', 'grpo']);
    expect(trains[0]!.strategy.with).toMatchObject({ win_within: 8, factor: 5 });
  });

  it('a train stage starts from current, fresh, or an earlier train stage (named, with a suggestion when misspelt)', async () => {
    const e = await loadExperiment('experiments/tiny-lm.yaml', { set: ['stages.13.train.start=sft'] });
    expect((e.stages[13] as TrainStage).start).toBe('sft');
    const error = await loadExperiment('experiments/tiny-lm.yaml', { set: ['stages.13.train.start=sfft'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('stages[13].train.start: start is current, fresh or the name of an earlier train stage; no earlier train stage is named "sfft"; did you mean "sft"?');
    const later = await loadExperiment('experiments/tiny-lm.yaml', { set: ['stages.9.train.start=grpo'] }).catch((e: unknown) => e);
    expect((later as Error).message).toContain('no earlier train stage is named "grpo"');
  });

  it("a train stage's own policy must be trainable", async () => {
    const error = await loadExperiment('experiments/tiny-lm.yaml', { set: ['stages.3.train.policy=infogain'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("stages[3].train.policy: the stage's policy infogain cannot be trained");
  });
  it('tiny-lm-ddp: the same weighted SFT and GRPO in one process and in two, evaluated pair by pair', async () => {
    const e = await loadExperiment('experiments/tiny-lm-ddp.yaml');
    const trains = e.stages.filter((s): s is TrainStage => s.kind === 'train');
    expect(trains.map((s) => [s.name, s.strategy.use, s.policy?.with.processes])).toEqual([
      ['sft-1', 'weighted-sft', undefined],
      ['grpo-1', 'grpo', undefined],
      ['sft-2', 'weighted-sft', 2],
      ['grpo-2', 'grpo', undefined],
    ]);
    expect(e.policy.with.processes).toBe(1);
    // the two chains train with the same settings
    expect(trains[2]!.strategy.with).toEqual(trains[0]!.strategy.with);
    expect(trains[3]!.strategy.with).toEqual(trains[1]!.strategy.with);
    const baselines = e.stages.filter((s) => s.kind === 'evaluate').map((s) => (s as { baseline?: string }).baseline);
    expect(baselines).toEqual([undefined, undefined, 'eval-sft-1/sft-1', 'eval-grpo-1/grpo-1']);
  });
});
