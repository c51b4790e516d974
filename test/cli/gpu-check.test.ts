import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../framework/config/load.js';

// bench/gpu.sh runs only on a machine with a CUDA GPU; here its syntax, its plan and its experiments.
describe('bench/gpu.sh, the GPU check', () => {
  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n', 'bench/gpu.sh'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--dry-run prints the plan and runs nothing: install the GPU set, build the tiny model, SFT and evaluation on cuda and on the CPU, vLLM rollouts, the figures', () => {
    const out = mkdtempSync(join(tmpdir(), 'twentyq-gpu-check-'));
    const venv = join(out, 'venv');
    const r = spawnSync('bench/gpu.sh', ['--dry-run'], { encoding: 'utf8', env: { ...process.env, GPU_CHECK_OUT: out, GPU_CHECK_VENV: venv } });
    expect(r.status, r.stderr).toBe(0);
    const steps = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('+ '))
      .map((l) => l.slice(2));
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
    const order = [
      /^nvidia-smi /,
      new RegExp(`bin/pip install -r ${resolve('plugins/policies/trl/requirements-gpu.txt')}$`),
      /torch\.cuda\.is_available\(\)/,
      /import vllm, trl, transformers/,
      new RegExp(`model tiny --out ${out}/tiny$`),
      /run .* bench\/gpu\.yaml .*--set policy\.with\.device=cuda --set policy\.with\.serve=vllm$/,
      /run .* bench\/gpu\.yaml .*--set policy\.with\.device=cpu .*--set policy\.with\.serve=transformers$/,
      /run .* bench\/gpu-grpo\.yaml /,
      /gpu-figures\.js cuda=\S+ cpu=\S+ vllm=\S+$/,
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      steps.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // every Python step runs the GPU environment, never the CPU one the tests use
    for (const s of steps.filter((s) => /bin\/run\.js (run|model) /.test(s))) expect(s).toContain(`TWENTYQ_PYTHON=${venv}/bin/python`);
    // nothing was made
    expect(spawnSync('ls', [out], { encoding: 'utf8' }).stdout).toBe('');
    expect(spawnSync('bench/gpu.sh', ['--gpu'], { encoding: 'utf8' }).status).toBe(2);
  });

  it("its experiments validate: the tiny model's SFT and evaluation, and GRPO through vLLM on cuda", async () => {
    const sft = await loadExperiment('bench/gpu.yaml', { set: ['policy.with.device=cuda'] });
    expect(sft.stages.map((s) => s.kind)).toEqual(['generate', 'train', 'evaluate']);
    const grpo = await loadExperiment('bench/gpu-grpo.yaml');
    expect(grpo.policy.with).toMatchObject({ device: 'cuda', use_vllm: true, vllm_mode: 'colocate', serve: 'vllm' });
  });
});
