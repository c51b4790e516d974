import { Flags } from '@oclif/core';
import { defineCommand } from '../../../../framework/plugin.js';
import { formatPlan, launchPlan } from '../plan.js';

export default defineCommand({
  summary: 'Print the launch plan of the trl study for the given hardware.',
  description: `What to run where for the trl backend's study (weighted SFT then GRPO with LoRA) on GPUs: one GPU (training and vLLM rollouts colocated in one process), one node of several GPUs (\`trl vllm-serve\` on some, training under DeepSpeed ZeRO-3 on the others), or two nodes (a vLLM node and a training node). Prints the experiment and accelerate config files of the plan (the repository holds them for 1 GPU, 8 GPUs and 2 nodes of 8), the commands by machine, and the expected memory and time per step, each figure marked estimate or measured.`,
  examples: ['<%= config.bin %> trl plan --gpus 1', '<%= config.bin %> trl plan --gpus 8', '<%= config.bin %> trl plan --nodes 2 --gpus 8', '<%= config.bin %> trl plan --gpus 8 --vllm-gpus 2 --gpu-memory 141'],
  flags: {
    gpus: Flags.integer({ default: 1, min: 1, description: 'GPUs per node.' }),
    nodes: Flags.integer({ default: 1, min: 1, max: 2, description: 'Machines: 2 is a training node and a vLLM node.' }),
    'gpu-memory': Flags.integer({ default: 80, min: 8, description: 'Memory of one GPU in GB (the estimates are made against it).' }),
    'vllm-gpus': Flags.integer({ min: 1, description: 'On one node of several GPUs: how many serve vLLM (default: half).' }),
    model: Flags.string({ default: 'Qwen/Qwen3-4B', description: 'The model (its size in billions is read from its name for the memory figures).' }),
  },
  async run({ flags }, io) {
    const hw = { nodes: flags.nodes, gpusPerNode: flags.gpus, gpuMemoryGb: flags['gpu-memory'], model: flags.model, ...(flags['vllm-gpus'] === undefined ? {} : { vllmGpus: flags['vllm-gpus'] }) };
    const plan = (() => {
      try {
        return launchPlan(hw);
      } catch (error) {
        return io.error((error as Error).message, { exit: 2 });
      }
    })();
    io.log(formatPlan(plan, hw).trimEnd());
  },
});
