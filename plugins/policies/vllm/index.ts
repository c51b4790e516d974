import { createHash } from 'node:crypto';
import { defaulted, definePlugin, ENDPOINT_OPTIONS, endpointFor, findCommand, modelEndpoint, Type } from '../../../framework/plugin.js';
import { LORA_RANKS, modelExtraBody, swapAdapter, vllmLaunch } from './serve.js';
import { QUESTIONER_OPTIONS, questioner } from '../api.js';

/** The endpoint options that make sense for a server the run launches itself. */
const { base_url: _url, api_key_env: _key, ...endpoint } = ENDPOINT_OPTIONS.properties;

/** The adapter's name on the server: new for every adapter folder (vLLM may answer a reloaded name from a stale cache), the same on a rerun. */
function versionedName(label: string, path: string): string {
  return `${label.replace(/[^\w.-]+/g, '_')}-${createHash('sha256').update(path).digest('hex').slice(0, 10)}`;
}

export default definePlugin({
  kind: 'policy',
  name: 'vllm',
  description:
    'The api policy on a vLLM server the run launches (`vllm serve MODEL` with LoRA enabled): the base model, or a LoRA adapter loaded at runtime under a versioned name, so that later stages evaluate new adapters on the same server without restarting it. Qwen3 models answer without thinking unless extra_body says otherwise.',
  runs: 'waiting',
  options: Type.Object(
    {
      ...endpoint,
      model: Type.String({ minLength: 1, description: 'The base model vLLM serves (a hub id or a folder), e.g. Qwen/Qwen3-4B.' }),
      adapter: Type.Optional(Type.String({ minLength: 1, description: 'A LoRA adapter folder to play (loaded at runtime under a versioned name); the base model when absent.' })),
      executable: defaulted(Type.String({ minLength: 1, default: 'vllm', description: "The vllm executable (a virtual environment's bin/vllm works too)." })),
      max_lora_rank: defaulted(Type.Unsafe<number>({ enum: [...LORA_RANKS], default: 16, description: 'At least the largest r of the adapters the server will load.' })),
      max_loras: defaulted(Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'Adapters in one batch.' })),
      args: defaulted(Type.Array(Type.String(), { default: [], description: 'More flags for vllm serve, as is (e.g. ["--max-model-len", "4096"]).' })),
      timeout_s: defaulted(Type.Number({ exclusiveMinimum: 0, default: 900, description: 'Seconds the server has to load the model and answer /health.' })),
      ...QUESTIONER_OPTIONS,
    },
    { additionalProperties: false },
  ),
  preflight: (options) =>
    findCommand(options.executable) === undefined
      ? [
          `executable: ${options.executable} is ${options.executable.includes('/') ? 'not an executable file' : 'not on the PATH'}: install the GPU set (twentyq setup python --gpu: CUDA torch and vLLM, for a machine with an NVIDIA GPU and its driver) and set executable to that environment's bin/vllm, or install vLLM on the PATH`,
        ]
      : [],
  async create(options, { domain, rules, label = 'vllm', runDir }) {
    const launch = vllmLaunch({
      model: options.model,
      executable: options.executable,
      max_lora_rank: options.max_lora_rank,
      max_loras: options.max_loras,
      // always: a text request ignores the tool parser, and one command line means one server for every stage
      tools: true,
      args: options.args,
      timeout_s: options.timeout_s,
    });
    const settings = { ...options, base_url: '', api_key_env: null, launch };
    let model = options.model;
    if (options.adapter !== undefined) {
      // the server is shared with every stage naming the same base model: load this adapter on it
      const { base_url } = await endpointFor(settings, runDir, label);
      model = versionedName(label, options.adapter);
      await swapAdapter(base_url, model, options.adapter);
    }
    const extra_body = modelExtraBody(options.model, options.extra_body);
    return questioner({ ...settings, model, ...(extra_body ? { extra_body } : {}) }, { domain, rules, label }, await modelEndpoint(settings, runDir, label));
  },
});
