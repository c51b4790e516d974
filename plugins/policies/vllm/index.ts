import { createHash } from 'node:crypto';
import { defaulted, definePlugin, ENDPOINT_OPTIONS, findCommand, type LaunchOption, Type } from '../../../framework/plugin.js';
import { LORA_RANKS, modelExtraBody, swapAdapter, vllmLaunch } from './serve.js';
import { QUESTIONER_OPTIONS, questioner } from '../api.js';

/** The endpoint options that make sense for a server the run launches itself. */
const { base_url: _url, api_key_env: _key, ...endpoint } = ENDPOINT_OPTIONS.properties;

/** The adapter's name on the server: new for every adapter folder (vLLM may answer a reloaded name from a stale cache), the same on a rerun. */
function versionedName(label: string, path: string): string {
  return `${label.replace(/[^\w.-]+/g, '_')}-${createHash('sha256').update(path).digest('hex').slice(0, 10)}`;
}

/** The server of the options: the base model with LoRA; one command line for every stage that names the same model. */
function launchOf(options: { model: string; executable: string; max_lora_rank: number; max_loras: number; args: string[]; timeout_s: number; device: string }): LaunchOption {
  return vllmLaunch({
    model: options.model,
    executable: options.executable,
    max_lora_rank: options.max_lora_rank,
    max_loras: options.max_loras,
    // always: a text request ignores the tool parser, and one command line means one server for every stage
    tools: true,
    args: options.args,
    timeout_s: options.timeout_s,
    device: options.device,
  });
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
      device: defaulted(
        Type.String({
          minLength: 1,
          default: 'cuda:0',
          description: 'The GPU the server holds (several as cuda:0,cuda:1): it is stopped before a training stage on that device and started again after (see docs/servers.md).',
        }),
      ),
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
  // known from the options: a later stage on the same base model keeps the server up between stages
  launches: (options) => [launchOf(options)],
  async create(options, { domain, rules, label = 'vllm', models }) {
    const launch = launchOf(options);
    const settings = { ...options, base_url: '', api_key_env: null, launch };
    const adapter = options.adapter;
    const model = adapter === undefined ? options.model : versionedName(label, adapter);
    // the server is shared with every stage naming the same base model: this adapter is loaded on it, again whenever it is started again
    const load = adapter === undefined ? undefined : (base_url: string) => swapAdapter(base_url, model, adapter);
    const endpoint = await models.endpoint(settings, label, load);
    const extra_body = modelExtraBody(options.model, options.extra_body);
    return questioner({ ...settings, model, ...(extra_body ? { extra_body } : {}) }, { domain, rules, label }, endpoint);
  },
});
