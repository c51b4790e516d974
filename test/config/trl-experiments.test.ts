import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../framework/config/errors.js';
import { loadExperiment } from '../../framework/config/load.js';
import type { TrainStage } from '../../framework/config/types.js';

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

  it('a train stage\'s own policy must be trainable', async () => {
    const error = await loadExperiment('experiments/tiny-lm.yaml', { set: ['stages.3.train.policy=infogain'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("stages[3].train.policy: the stage's policy infogain cannot be trained");
  });
});
