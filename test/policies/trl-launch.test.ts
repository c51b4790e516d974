import { describe, expect, it } from 'vitest';
import { launchArgs } from '../../plugins/policies/trl/process.js';

const MODULE = ['twentyq_trl', 'sft', 'job.json'];

describe('how the trl backend starts its training processes', () => {
  it('one process: python -m twentyq_trl', () => {
    expect(launchArgs(undefined, MODULE)).toEqual(['-m', 'twentyq_trl', 'sft', 'job.json']);
    expect(launchArgs({ processes: 1, device: 'cuda', accelerate_config: null }, MODULE)).toEqual(['-m', 'twentyq_trl', 'sft', 'job.json']);
  });

  it('several on the CPU: torchrun, whose ranks accelerate sees as MULTI_CPU (accelerate launch --cpu would start one)', () => {
    for (const device of ['cpu', 'auto'] as const) {
      expect(launchArgs({ processes: 2, device, accelerate_config: null }, MODULE)).toEqual(['-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', '2', '-m', 'twentyq_trl', 'sft', 'job.json']);
    }
  });

  it('several on GPUs: accelerate launch, with the config file when there is one (also for one process: DeepSpeed needs the launcher)', () => {
    expect(launchArgs({ processes: 4, device: 'cuda', accelerate_config: null }, MODULE)).toEqual(['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '4', '-m', 'twentyq_trl', 'sft', 'job.json']);
    expect(launchArgs({ processes: 4, device: 'cuda', accelerate_config: '/z/zero3-4.yaml' }, MODULE)).toEqual([
      '-m',
      'accelerate.commands.launch',
      '--config_file',
      '/z/zero3-4.yaml',
      '--num_processes',
      '4',
      '-m',
      'twentyq_trl',
      'sft',
      'job.json',
    ]);
    expect(launchArgs({ processes: 1, device: 'auto', accelerate_config: '/z/zero3-1.yaml' }, MODULE)[1]).toBe('accelerate.commands.launch');
  });
});
