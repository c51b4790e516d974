import type { LaunchOption } from '../../../framework/plugin.js';

/**
 * vLLM as a launched server with LoRA adapters (reference/llm-backends.md 5.3): the `vllm serve`
 * command line, adapters loaded at runtime under versioned names, and Qwen3's thinking turned off.
 */

/** The ranks vLLM accepts for --max-lora-rank (vllm/config/lora.py). */
export const LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;

export interface VllmServe {
  /** The base model (a hub id or a folder). */
  model: string;
  /** The executable (default `vllm`: a virtual environment's bin/vllm works too). */
  executable?: string;
  /** Adapters served from the start, by the name requests give as `model`. */
  adapters?: Record<string, string>;
  /** At least the largest `r` of the adapters it will serve (default 16). */
  max_lora_rank?: number;
  /** Adapters in one batch (default 1). */
  max_loras?: number;
  /** Parse tool calls (Qwen3 and Hermes-style `<tool_call>` blocks), for `format: tools`. */
  tools?: boolean;
  /** More flags, as is (e.g. ["--max-model-len", "4096"]). */
  args?: string[];
  timeout_s?: number;
  /** The device it holds (see the launch option's `device`); default cuda:0, where vLLM serves unless told otherwise. */
  device?: string;
}

/**
 * The launch of `vllm serve MODEL` on a free port of the loopback, with LoRA enabled and runtime
 * adapter loading allowed (VLLM_ALLOW_RUNTIME_LORA_UPDATING), ready once /health answers.
 */
export function vllmLaunch(options: VllmServe): Exclude<LaunchOption, string | string[]> {
  const rank = options.max_lora_rank ?? 16;
  if (!(LORA_RANKS as readonly number[]).includes(rank)) {
    throw new Error(`max_lora_rank ${rank} is not a rank vLLM accepts: use ${LORA_RANKS.join(', ')} (at least the adapters' r)`);
  }
  const adapters = Object.entries(options.adapters ?? {});
  const command = [
    options.executable ?? 'vllm',
    'serve',
    options.model,
    '--host',
    '127.0.0.1',
    '--port',
    '{PORT}',
    '--enable-lora',
    '--max-lora-rank',
    String(rank),
    '--max-loras',
    String(options.max_loras ?? 1),
    ...(adapters.length > 0 ? ['--lora-modules', ...adapters.map(([name, path]) => `${name}=${path}`)] : []),
    ...(options.tools ? ['--enable-auto-tool-choice', '--tool-call-parser', 'hermes'] : []),
    ...(options.args ?? []),
  ];
  return {
    command,
    ready_url: '/health',
    env: { VLLM_ALLOW_RUNTIME_LORA_UPDATING: 'True' },
    device: options.device ?? 'cuda:0',
    ...(options.timeout_s === undefined ? {} : { timeout_s: options.timeout_s }),
  };
}

/**
 * A checkpoint's adapter name: a new name per version, since vLLM may answer a reloaded name from its
 * stale prefix cache (vllm-project/vllm#42125). `policy`, 120 -> `policy-step-0120`.
 */
export function adapterName(base: string, step: number): string {
  return `${base}-step-${String(step).padStart(4, '0')}`;
}

/** vLLM's runtime adapter routes live beside /v1/models, whatever path the base URL has. */
async function post(base_url: string, route: string, body: Record<string, string>, signal?: AbortSignal): Promise<string> {
  const url = new URL(`/v1/${route}`, base_url).href;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  const text = await res.text();
  if (res.ok) return text;
  // a route that is not there is FastAPI's {"detail": ...}; vLLM's own refusals (an unknown adapter is a 404 too) carry a message
  const { detail, message } = parseJson(text);
  if ((res.status === 404 || res.status === 405) && detail !== undefined) {
    throw new Error(`${url} answered ${res.status}: this vLLM does not load adapters at runtime; start it with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora`);
  }
  throw new Error(`${url} answered ${res.status}: ${typeof message === 'string' ? message : text}`);
}

function parseJson(text: string): { detail?: unknown; message?: unknown } {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

/** Loads an adapter folder under a name requests can use as `model`; returns vLLM's message. */
export function loadAdapter(base_url: string, name: string, path: string, signal?: AbortSignal): Promise<string> {
  return post(base_url, 'load_lora_adapter', { lora_name: name, lora_path: path }, signal);
}

export function unloadAdapter(base_url: string, name: string, signal?: AbortSignal): Promise<string> {
  return post(base_url, 'unload_lora_adapter', { lora_name: name }, signal);
}

/**
 * Serves a new checkpoint without restarting vLLM: loads it under `name` (a new versioned name, see
 * adapterName), then unloads `previous`, so that requests switch once the new one is there.
 */
export async function swapAdapter(base_url: string, name: string, path: string, previous?: string, signal?: AbortSignal): Promise<void> {
  await loadAdapter(base_url, name, path, signal);
  if (previous !== undefined && previous !== name) await unloadAdapter(base_url, previous, signal);
}

/**
 * The extra_body of requests to a model: for Qwen3 models (by the base model's name: an adapter's name
 * says nothing), thinking off unless the experiment's chat_template_kwargs say otherwise. Qwen3 thinks
 * by default, and a game's move needs no reasoning trace that costs hundreds of tokens per question.
 */
export function modelExtraBody(model: string, extra_body?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!/qwen3/i.test(model)) return extra_body;
  const kwargs = (extra_body?.chat_template_kwargs ?? {}) as Record<string, unknown>;
  return { ...extra_body, chat_template_kwargs: { enable_thinking: false, ...kwargs } };
}
