import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareRef } from '../../framework/plugins/factory.js';
import type { TrlOptions } from '../../plugins/policies/trl/index.js';
import { trlPreflight } from '../../plugins/policies/trl/preflight.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-trl-preflight-'));

/** The trl policy's options as validation leaves them: every default filled in. */
async function options(given: Record<string, unknown>): Promise<TrlOptions> {
  const { ref, errors } = await prepareRef('policy', { use: 'trl', with: given }, process.cwd());
  expect(errors).toEqual([]);
  return ref.with as TrlOptions;
}

/** A Python environment's bin/ with only what is named (no Python runs: the checks look for files). */
function environment(...commands: string[]): string {
  const bin = join(tmp(), 'bin');
  mkdirSync(bin);
  for (const name of ['python', ...commands]) symlinkSync(process.execPath, join(bin, name));
  return join(bin, 'python');
}

describe('what the trl policy needs of the machine', () => {
  it('a Python that is not there says how to make one', async () => {
    const lines = await trlPreflight(await options({ python: '/nowhere/bin/python', device: 'cpu' }), {});
    expect(lines).toEqual(['the python option names /nowhere/bin/python, which does not exist: point it at a Python with the trl requirements, or unset it and run `twentyq setup python`']);
  });

  it('serving with vLLM needs vLLM in its Python environment: the GPU set; transformers serve needs the CPU set', async () => {
    const cpu = environment('transformers');
    const [vllm] = await trlPreflight(await options({ python: cpu, serve: 'vllm', device: 'cpu' }), {});
    expect(vllm).toBe(
      `serve: vllm plays the model with vLLM, and the Python environment of ${cpu} has none (no ${join(cpu, '..', 'vllm')}): install the GPU set: twentyq setup python --gpu (CUDA torch and vLLM, for a machine with an NVIDIA GPU and its driver)`,
    );
    expect(await trlPreflight(await options({ python: cpu, serve: 'transformers', device: 'cpu' }), {})).toEqual([]);
    expect(await trlPreflight(await options({ python: environment('vllm'), serve: 'vllm', device: 'cpu' }), {})).toEqual([]);
    const bare = environment();
    expect(await trlPreflight(await options({ python: bare, device: 'cpu' }), {})).toEqual([
      `serve: auto plays the model with transformers serve, and the Python environment of ${bare} has no ${join(bare, '..', 'transformers')}: run twentyq setup python`,
    ]);
  });

  it('a hub model must be in the cache that training reads offline, unless the hub may be reached', async () => {
    const python = environment('transformers');
    const cache = tmp();
    const qwen = await options({ python, model: 'Qwen/Qwen3-4B', device: 'cpu' });
    expect(await trlPreflight(qwen, { HF_HUB_CACHE: cache })).toEqual([`model: Qwen/Qwen3-4B is not in the Hugging Face cache (${cache}), and training loads it offline (HF_HUB_OFFLINE=1): download it first: hf download Qwen/Qwen3-4B`]);
    expect(await trlPreflight(qwen, { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '0' })).toEqual([]);
    mkdirSync(join(cache, 'models--Qwen--Qwen3-4B'));
    expect(await trlPreflight(qwen, { HF_HUB_CACHE: cache })).toEqual([]);
    const home = tmp();
    mkdirSync(join(home, 'hub', 'models--Qwen--Qwen3-4B'), { recursive: true });
    expect(await trlPreflight(qwen, { HF_HOME: home })).toEqual([]);
    // a model folder is no hub id
    const folder = tmp();
    writeFileSync(join(folder, 'config.json'), '{}');
    expect(await trlPreflight(await options({ python, model: folder, device: 'cpu' }), { HF_HUB_CACHE: cache })).toEqual([]);
  });
});
