import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { findCommand } from '../../../framework/plugin.js';
import { findPython } from './environment.js';
import type { TrlOptions } from './index.js';

/**
 * What the `trl` policy needs from the machine, checked before a run starts: its Python environment,
 * the server that plays its weights, CUDA when it is asked for, and a hub model in the cache (training
 * runs offline).
 */

const GPU_SET = 'install the GPU set: twentyq setup python --gpu (CUDA torch and vLLM, for a machine with an NVIDIA GPU and its driver)';

/** The NVIDIA driver, seen without starting anything: its /proc entry, or nvidia-smi. */
function nvidiaDriver(): boolean {
  return existsSync('/proc/driver/nvidia/version') || findCommand('nvidia-smi') !== undefined;
}

/** Whether the environment's torch sees a CUDA device; a second or two (torch imports). */
async function torchCuda(python: string): Promise<{ cuda: boolean; version: string } | { error: string }> {
  const script = 'import json, torch; print(json.dumps({"cuda": torch.cuda.is_available(), "version": torch.__version__}))';
  try {
    const { stdout } = await promisify(execFile)(python, ['-c', script], { timeout: 120_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { cuda: boolean; version: string };
  } catch (error) {
    const said = ((error as { stderr?: string }).stderr ?? '').trim().split('\n').at(-1) || (error as Error).message;
    return { error: said };
  }
}

/** The hub cache training reads (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
function hubCache(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

/** A model named by its hub id (`org/name`) rather than a folder. */
function hubId(model: string): boolean {
  return !isAbsolute(model) && !model.startsWith('.') && /^[\w.-]+\/[\w.-]+$/.test(model) && !existsSync(model);
}

export async function trlPreflight(options: TrlOptions, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const problems: string[] = [];
  let python: string | undefined;
  try {
    python = findPython(options.python);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (options.device === 'cuda') {
    if (!nvidiaDriver()) {
      problems.push('device: cuda, but this machine has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi on the PATH): run the experiment on a machine with a CUDA GPU, or set device: cpu');
    } else if (python) {
      const torch = await torchCuda(python);
      if ('error' in torch) problems.push(`device: cuda, but ${python} cannot import torch (${torch.error}): ${GPU_SET}`);
      else if (!torch.cuda) problems.push(`device: cuda, but the torch of ${python} (${torch.version}) sees no CUDA device: ${GPU_SET}`);
    }
  }
  const vllm = options.serve === 'vllm' || (options.serve === 'auto' && options.device === 'cuda');
  if (python) {
    const server = join(dirname(python), vllm ? 'vllm' : 'transformers');
    if (!existsSync(server)) {
      problems.push(
        vllm
          ? `serve: ${options.serve}${options.serve === 'auto' ? ' (vLLM on device: cuda)' : ''} plays the model with vLLM, and the Python environment of ${python} has none (no ${server}): ${GPU_SET}`
          : `serve: ${options.serve} plays the model with transformers serve, and the Python environment of ${python} has no ${server}: run twentyq setup python`,
      );
    }
  }
  const offline = !['0', 'false', 'no'].includes((env.HF_HUB_OFFLINE ?? '1').toLowerCase());
  if (options.model !== undefined && options.checkpoint === undefined && offline && hubId(options.model)) {
    const cache = hubCache(env);
    if (!existsSync(join(cache, `models--${options.model.replace('/', '--')}`))) {
      problems.push(`model: ${options.model} is not in the Hugging Face cache (${cache}), and training loads it offline (HF_HUB_OFFLINE=1): download it first: hf download ${options.model}`);
    }
  }
  return problems;
}
