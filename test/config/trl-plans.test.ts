import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../framework/config/load.js';
import type { TrainStage } from '../../framework/stages/train.js';
import { accelerateYaml, formatPlan, type Hardware, launchPlan } from '../../plugins/policies/trl/plan.js';

const H100 = { gpuMemoryGb: 80, model: 'Qwen/Qwen3-4B' };
const PLANS: [string, Hardware][] = [
  ['1 GPU', { nodes: 1, gpusPerNode: 1, ...H100 }],
  ['8 GPUs on one node', { nodes: 1, gpusPerNode: 8, ...H100 }],
  ['2 nodes of 8 GPUs', { nodes: 2, gpusPerNode: 8, ...H100 }],
];

describe('the launch plans in the repository are the plans twentyq trl plan prints, and validate', () => {
  for (const [what, hw] of PLANS) {
    it(what, async () => {
      const plan = launchPlan(hw);
      const e = await loadExperiment(`experiments/${plan.name}.yaml`);
      const { accelerate_config, ...options } = plan.policy;
      expect(e.policy.with).toMatchObject({ model: hw.model, ...options });
      const trains = e.stages.filter((s): s is TrainStage => s.kind === 'train');
      expect(trains.map((s) => s.strategy.use)).toEqual(['weighted-sft', 'grpo']);
      // every stage's batch splits over the processes (the trainer refuses one that does not)
      const processes = (plan.policy.processes as number | undefined) ?? 1;
      const sft = trains[0]!.strategy.with as { batch_size: number };
      const grpo = trains[1]!.strategy.with as { group_size: number; targets_per_iteration: number };
      expect(sft.batch_size % processes).toBe(0);
      expect((grpo.group_size * grpo.targets_per_iteration) % processes).toBe(0);
      if (plan.accelerate === null) {
        expect(accelerate_config).toBeUndefined();
        expect(e.policy.with.accelerate_config).toBeUndefined();
        return;
      }
      // the experiment names the plan's accelerate file, which holds exactly the plan's config
      const file = resolve('plugins/policies/trl/accelerate', plan.accelerate.file);
      expect(e.policy.with.accelerate_config).toBe(file);
      expect(readFileSync(file, 'utf8'), `${file} differs from the plan: write it again from \`twentyq trl plan\``).toBe(accelerateYaml(plan.accelerate.config));
      const config = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({ distributed_type: 'DEEPSPEED', num_processes: processes, num_machines: 1, deepspeed_config: { zero_stage: 3 } });
      // what the docs tell users to type is what the plan says
      const docs = readFileSync('docs/scale.md', 'utf8');
      for (const step of plan.steps) for (const command of step.commands) expect(docs, command).toContain(command);
    });
  }

  it('the plans put vLLM where TRL wants it: colocated on one GPU, a server on other GPUs or another node', () => {
    const [one, eight, two] = PLANS.map(([, hw]) => launchPlan(hw));
    expect(one!.policy).toMatchObject({ use_vllm: true, vllm_mode: 'colocate' });
    expect(eight!.policy).toMatchObject({ use_vllm: true, vllm_mode: 'server', processes: 4 });
    const [serve, train] = eight!.steps.slice(1).map((s) => s.commands[0]!);
    expect(serve).toMatch(/^CUDA_VISIBLE_DEVICES=0,1,2,3 trl vllm-serve --model Qwen\/Qwen3-4B --data-parallel-size 4/);
    expect(train).toMatch(/^CUDA_VISIBLE_DEVICES=4,5,6,7 npx twentyq run experiments\/qwen3-4b-8gpu.yaml$/);
    expect(two!.policy).toMatchObject({ processes: 8, vllm_mode: 'server', vllm_server_url: 'http://NODE_B:8000' });
    expect(two!.steps[1]!.commands[0]).toContain('--host 0.0.0.0');
    // every figure says whether it was measured
    for (const plan of [one!, eight!, two!]) for (const e of plan.estimates) if (/\d+ (GB|s)\b/.test(e) && /time per|training, per GPU/.test(e)) expect(e).toMatch(/estimate/);
  });

  it('hardware that cannot hold the model, or a layout with no GPU left to train, is refused with the fix', () => {
    expect(() => launchPlan({ nodes: 1, gpusPerNode: 1, gpuMemoryGb: 24, model: 'Qwen/Qwen3-32B' })).toThrow(/Qwen3-32B \(32.8B parameters, 66 GB in bf16\) leaves too little of a 24 GB GPU.*--gpu-memory/);
    expect(() => launchPlan({ nodes: 1, gpusPerNode: 4, gpuMemoryGb: 80, model: 'Qwen/Qwen3-4B', vllmGpus: 4 })).toThrow('--vllm-gpus 4 leaves no GPU of 4 to train on');
    expect(() => launchPlan({ nodes: 1, gpusPerNode: 1, gpuMemoryGb: 80, model: 'my-model' })).toThrow(/the size of my-model is not known/);
  });

  it('twentyq trl plan prints the plan for the hardware named', () => {
    const r = spawnSync(process.execPath, [resolve('bin/run.js'), 'trl', 'plan', '--gpus', '8'], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
    expect(r.status).toBe(0);
    const hw = PLANS[1]![1];
    expect(r.stdout).toBe(formatPlan(launchPlan(hw), hw));
    const bad = spawnSync(process.execPath, [resolve('bin/run.js'), 'trl', 'plan', '--gpus', '2', '--vllm-gpus', '2'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--vllm-gpus 2 leaves no GPU of 2 to train on');
  });
});
