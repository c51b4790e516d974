import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  choice,
  defaulted,
  definePlugin,
  type Domain,
  type DpoJob,
  ENDPOINT_OPTIONS,
  type GameView,
  isJob,
  type LaunchOption,
  type Move,
  type OnlineGrpoJob,
  type PluginContext,
  type Policy,
  PROCESSES_DIR,
  type RenderOptions,
  type Rules,
  type SftJob,
  type SftRow,
  type StageTraining,
  type Static,
  type TrainablePolicy,
  type TrainJob,
  twentyqHome,
  Type,
  withDefault,
} from '../../../framework/plugin.js';
import { questioner } from '../api.js';
import { LORA_RANKS, vllmLaunch } from '../vllm/serve.js';
import { findPython } from './environment.js';
import { trlPreflight } from './preflight.js';
import type { TrainingFields, TrlCommand } from './job.js';
import { runPython, type TrlEvent } from './process.js';
import { toTrl, writeTrl } from './rows.js';
import { buildTiny, TINY_CONFIG, type TinyConfig } from './tiny.js';

const LORA = Type.Object(
  {
    r: Type.Integer({ minimum: 1, maximum: 512, description: 'Rank of the adapter.' }),
    alpha: defaulted(Type.Number({ exclusiveMinimum: 0, default: 32, description: 'Scaling of the adapter (alpha / r).' })),
    dropout: defaulted(Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: "Dropout on the adapter's input." })),
    target_modules: defaulted(Type.Unsafe<string[] | 'all-linear'>({ type: ['array', 'string'], items: { type: 'string' }, default: 'all-linear', description: 'Modules adapted: a list of names, or "all-linear".' })),
  },
  { additionalProperties: false },
);

export type Lora = Static<typeof LORA>;

export type TrlOptions = Static<typeof OPTIONS>;

/** The weights a trl policy plays and trains from: a model folder (or hub id), or a LoRA adapter on its base. */
export interface TrlState {
  /** A model folder or hub id; an adapter folder when `adapter`. */
  model: string;
  adapter: boolean;
  /** The model the first stage started from (an adapter's base). */
  base: string;
}

const FORMAT = 'twentyq-trl-checkpoint';

/** Reads a <stage>.ckpt.json pointer (paths relative to its folder) or takes a model folder as it is. */
export function loadTrlCheckpoint(path: string): TrlState {
  if (!path.endsWith('.json')) {
    const adapter = existsSync(join(path, 'adapter_config.json'));
    const base = adapter ? ((JSON.parse(readFileSync(join(path, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path?: string }).base_model_name_or_path ?? path) : path;
    return { model: path, adapter, base };
  }
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; model: string; adapter: boolean; base: string };
  if (saved.format !== FORMAT) throw new Error(`${path} is not a trl checkpoint (a <stage>.ckpt.json written by a train stage of the trl policy, or a model folder)`);
  const at = (p: string) => (isAbsolute(p) || !existsSync(resolve(dirname(path), p)) ? p : resolve(dirname(path), p));
  return { model: at(saved.model), adapter: saved.adapter, base: at(saved.base) };
}

/**
 * The weights a folder holds, as the response cache knows them: each weights file's name, size and
 * modification time. A stage trained again at the same path (`twentyq run --resume`) is other weights
 * there, and its games are asked afresh, not answered from the cache of the weights it replaced.
 */
export function weightsStamp(folder: string): string {
  const files = existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => /\.(safetensors|bin|pt|pth)$/.test(f))
        .sort()
    : [];
  return files
    .map((f) => {
      const st = statSync(join(folder, f));
      return `${f}:${st.size}:${Math.round(st.mtimeMs)}`;
    })
    .join(',');
}

/** A step's figures, as the curve keeps them. */
function figuresOf(event: TrlEvent & { event: 'log' }): Record<string, number> {
  const figures: Record<string, number> = { step: event.step };
  for (const [k, v] of Object.entries(event)) if (typeof v === 'number' && Number.isFinite(v)) figures[k] = v;
  return figures;
}

/**
 * A language model trained by Hugging Face TRL in a Python process (one per training stage) and played
 * through the `api` path: an OpenAI-compatible server of its current weights, launched on first use.
 */
export class TrlPolicy implements TrainablePolicy {
  readonly concurrency: number;
  /** GRPO is trained by playing: TRL's GRPOTrainer plays its own games against the engine the stage serves. */
  readonly jobs = ['sft', 'dpo', 'online-grpo'] as const;
  private state: TrlState | undefined;
  private player: { model: string; policy: Promise<Policy>; launch: LaunchOption } | undefined;
  private readonly render: RenderOptions;
  private building: Promise<TrlState> | undefined;

  constructor(
    readonly options: TrlOptions,
    readonly context: Pick<PluginContext, 'domain' | 'rules' | 'runDir' | 'label' | 'create' | 'models'>,
    state?: TrlState,
  ) {
    this.state = state;
    this.concurrency = options.concurrency;
    this.render = { show_candidates: options.show_candidates };
  }

  private get domain(): Domain {
    return this.context.domain;
  }

  private get rules(): Rules {
    return this.context.rules;
  }

  private get python(): string {
    return findPython(this.options.python);
  }

  /** The weights now: the checkpoint or model option, else the tiny model (built on first use). */
  async weights(): Promise<TrlState> {
    if (this.state) return this.state;
    if (this.options.model !== undefined) {
      const model = this.options.model;
      // a hub id is `org/name`; a path names a folder that must hold a model
      if (isAbsolute(model) || model.startsWith('.')) {
        if (!existsSync(model)) throw new Error(`model ${model} does not exist: give a model folder (with config.json) or a Hugging Face id such as Qwen/Qwen3-4B`);
        if (!existsSync(join(model, 'config.json')) && !existsSync(join(model, 'adapter_config.json'))) {
          throw new Error(`model ${model} holds no config.json: it is not a Hugging Face model folder (twentyq model tiny builds one)`);
        }
      }
      return (this.state = existsSync(model) ? loadTrlCheckpoint(model) : { model, adapter: false, base: model });
    }
    // many games ask at once on first use: one build
    this.building ??= (async () => {
      const [policy, answerer] = await Promise.all([this.context.create('policy', 'infogain'), this.context.create('answerer', 'kb')]);
      const { dir } = await buildTiny({
        domain: this.domain,
        rules: this.rules,
        players: { policy, answerer },
        seed: this.options.tiny_seed,
        config: this.options.tiny,
        python: this.python,
        log: (line) => process.stderr.write(`trl: ${line}\n`),
      });
      return { model: dir, adapter: false, base: dir };
    })();
    const built = await this.building;
    return (this.state ??= built);
  }

  /** Where it trains and serves: the run stops its servers on this device before it trains (auto counts as cuda:0). */
  get device(): 'cpu' | 'cuda' | 'auto' {
    return this.options.device;
  }

  /** The server that plays the current weights, and the questioner talking to it. */
  private async serving(): Promise<Policy> {
    const state = await this.weights();
    if (this.player?.model === state.model) return this.player.policy;
    if (this.player) await this.context.models.stop(this.player.launch);
    const mode = this.options.serve === 'auto' ? (this.device === 'cuda' ? 'vllm' : 'transformers') : this.options.serve;
    const label = this.context.label ?? 'trl';
    let launch: LaunchOption;
    let model: string;
    const starting = (async () => {
      if (mode === 'vllm') {
        const rank = LORA_RANKS.find((r) => r >= (this.options.lora?.r ?? 16)) ?? 512;
        const executable = join(dirname(this.python), 'vllm');
        // the chat template the weights were trained with (TRL's prefix-preserving Qwen3 template), not the base model's
        const template = join(state.model, 'chat_template.jinja');
        const args = existsSync(template) ? ['--chat-template', template] : [];
        launch = state.adapter
          ? vllmLaunch({ model: state.base, executable, adapters: { [`${label.replace(/[^\w.-]+/g, '_')}-adapter`]: state.model }, max_lora_rank: rank, timeout_s: this.options.serve_timeout_s, args, device: this.device })
          : vllmLaunch({ model: state.model, executable, timeout_s: this.options.serve_timeout_s, args, device: this.device });
        model = state.adapter ? `${label.replace(/[^\w.-]+/g, '_')}-adapter` : state.model;
      } else {
        const folder = state.adapter ? await this.merged(state.model) : state.model;
        const hubCache = join(twentyqHome(), 'hf-hub');
        mkdirSync(hubCache, { recursive: true });
        launch = {
          command: [join(dirname(this.python), 'transformers'), 'serve', folder, '--host', '127.0.0.1', '--port', '{PORT}', ...(this.device === 'auto' ? [] : ['--device', this.device])],
          env: { HF_HUB_CACHE: hubCache, HF_HUB_OFFLINE: '1', ...(this.options.threads ? { OMP_NUM_THREADS: String(this.options.threads) } : {}) },
          timeout_s: this.options.serve_timeout_s,
          device: this.device,
        };
        model = folder;
      }
      // Qwen3's template thinks unless told not to; the tiny model was trained without thinking
      const extra_body = { ...this.options.extra_body, chat_template_kwargs: { enable_thinking: false, ...((this.options.extra_body?.chat_template_kwargs as object) ?? {}) } };
      const weights = weightsStamp(mode === 'vllm' ? state.model : model);
      const settings = { ...this.options, model, base_url: '', api_key_env: null, launch, weights, extra_body, format: 'text' as const };
      return questioner(settings, { domain: this.domain, rules: this.rules, label }, await this.context.models.endpoint(settings, label));
    })();
    this.player = {
      model: state.model,
      policy: starting,
      get launch() {
        return launch;
      },
    };
    return starting;
  }

  /** A LoRA adapter merged into its base, beside it (`merged/`), once for each set of the adapter's weights. */
  private async merged(adapter: string): Promise<string> {
    const out = join(dirname(adapter), 'merged');
    const from = join(out, 'twentyq-merged-from.txt');
    const stamp = weightsStamp(adapter);
    if (existsSync(join(out, 'config.json')) && existsSync(from) && readFileSync(from, 'utf8') === stamp) return out;
    await runPython({ python: this.python, command: 'merge', job: { adapter, output_dir: out }, jobFile: join(dirname(adapter), 'merge.job.json'), log: join(dirname(adapter), 'python.log') });
    writeFileSync(from, stamp);
    return out;
  }

  async act(views: readonly GameView[], signal?: AbortSignal): Promise<Move[]> {
    return (await this.serving()).act(views, signal);
  }

  /** Runs a training command of the Python package on the stage's folder and takes its model as the new weights. */
  private async run(options: StageTraining & { seed: number }, command: (common: TrainingFields) => TrlCommand, write?: (file: string) => Promise<void>): Promise<Record<string, number>> {
    const start = await this.weights();
    const workdir = options.workdir ?? mkdtempSync(join(tmpdir(), 'twentyq-trl-'));
    mkdirSync(workdir, { recursive: true });
    const data = join(workdir, 'data.jsonl');
    if (write) await write(data);
    let steps = 0;
    let last: Record<string, number> = {};
    const job = command({
      model: start.model,
      output_dir: workdir,
      resume: options.resume ?? false,
      data,
      lora: this.options.lora,
      precision: this.options.precision,
      device: this.options.device,
      threads: this.options.threads,
      seed: options.seed,
      max_length: this.options.max_length,
      save_steps: this.options.save_steps,
      processes: this.options.processes,
      micro_batch_size: this.options.micro_batch_size,
      gradient_checkpointing: this.options.gradient_checkpointing,
    });
    const done = await runPython({
      ...job,
      python: this.python,
      jobFile: join(workdir, `${job.command}.job.json`),
      log: join(workdir, 'python.log'),
      stop: options.stop,
      threads: this.options.threads,
      launcher: { processes: this.options.processes, device: this.options.device, accelerate_config: this.options.accelerate_config ?? null },
      ...(this.context.runDir === undefined ? {} : { processes: join(this.context.runDir, PROCESSES_DIR) }),
      onEvent: (event) => {
        if (event.event === 'start') steps = event.steps;
        else if (event.event === 'log') {
          last = figuresOf(event);
          options.onStep?.(last, event.step, steps);
        }
      },
    });
    this.importState({ model: resolve(workdir, done.model), adapter: start.adapter || this.options.lora !== null, base: start.base });
    return last;
  }

  async train(job: TrainJob): Promise<Record<string, number>> {
    const { domain, rules, render } = this;
    const writeRows = (kind: 'sft' | 'dpo', records: ReturnType<typeof toTrl>) => async (file: string) => {
      writeFileSync(file, '');
      await writeTrl(kind, records, (chunk) => appendFileSync(file, chunk));
    };
    if (isJob<SftJob>(job, 'sft')) {
      const rows = (async function* (): AsyncGenerator<SftRow> {
        yield* job.rows;
      })();
      const o = job.options;
      return this.run(
        o,
        (common) => ({ command: 'sft', job: { ...common, learning_rate: o.lr, batch_size: o.batch_size, epochs: o.epochs, train_sampling: this.options.train_sampling } }),
        writeRows('sft', toTrl({ kind: 'sft', rows, stats: {} }, domain, rules, render)),
      );
    }
    if (isJob<DpoJob>(job, 'dpo')) {
      const o = job.options;
      return this.run(
        o,
        (common) => ({ command: 'dpo', job: { ...common, learning_rate: o.lr, batch_size: o.batch_size, epochs: o.epochs, beta: o.beta } }),
        writeRows('dpo', toTrl({ kind: 'dpo', pairs: [...job.pairs], stats: {} }, domain, rules, render)),
      );
    }
    if (isJob<OnlineGrpoJob>(job, 'online-grpo')) return this.trainOnline(job);
    throw new Error(`the trl policy trains ${this.jobs.join(', ')} jobs, not ${job.kind}${job.kind === 'grpo' ? ' (it plays its own GRPO games: online-grpo)' : ''}`);
  }

  private async trainOnline(job: OnlineGrpoJob): Promise<Record<string, number>> {
    const o = job.options;
    const environment = await job.serve(this.render);
    try {
      return await this.run(
        o,
        (common) => ({
          command: 'grpo',
          job: {
            ...common,
            env_url: environment.url,
            steps: o.steps,
            num_generations: o.group_size,
            targets_per_step: o.targets_per_step > 0 ? o.targets_per_step : job.targets.length,
            temperature: o.temperature,
            beta: o.beta,
            epsilon: o.epsilon,
            learning_rate: o.lr,
            batch_size: o.batch_size,
            scale_rewards: o.scale_rewards,
            move_regret: o.move_regret,
            max_new_tokens: this.options.max_new_tokens,
            use_vllm: this.options.use_vllm,
            vllm_mode: this.options.vllm_mode,
            vllm_server_url: this.options.vllm_server_url,
            vllm_gpu_memory_utilization: this.options.vllm_gpu_memory_utilization,
            vllm_tensor_parallel_size: this.options.vllm_tensor_parallel_size,
          },
        }),
        async (file) => writeFileSync(file, job.targets.map((key) => JSON.stringify({ prompt: key }) + '\n').join('')),
      );
    } finally {
      await environment.close();
    }
  }

  exportState(): TrlState | undefined {
    return this.state && { ...this.state };
  }

  importState(state: unknown): void {
    if (state === undefined) return;
    const s = state as TrlState;
    if (typeof s?.model !== 'string') throw new Error('trl policy: expected { model, adapter, base } weights');
    this.state = { ...s };
  }

  save(file: string, note: Record<string, unknown>): void {
    const state = this.state;
    if (!state) throw new Error('trl policy: nothing to save, no weights yet');
    // inside the run directory: relative, so that the run can move; elsewhere (the tiny model's cache, a hub id) as it is
    const rel = (p: string) => (existsSync(p) && !relative(dirname(file), p).startsWith('..') ? relative(dirname(file), p) : p);
    writeFileSync(file, JSON.stringify({ format: FORMAT, model: rel(state.model), adapter: state.adapter, base: rel(state.base), lora: this.options.lora, ...note }, null, 2) + '\n');
  }
}

/** The endpoint options that make sense for a server the policy launches itself. */
const { base_url: _url, api_key_env: _key, model: _model, ...endpoint } = ENDPOINT_OPTIONS.properties;

const OPTIONS = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, description: 'A Hugging Face id or a model folder to start from (default: the tiny model, `twentyq model tiny`, built on first use).' })),
    lora: defaulted(
      Type.Unsafe<Lora | null>({
        ...LORA,
        type: ['object', 'null'],
        default: null,
        description: "Train a LoRA adapter instead of every weight (null: full fine-tuning, the tiny model's default).",
      }),
    ),
    precision: defaulted(choice(['auto', 'fp32', 'bf16', 'fp16'], { default: 'auto', description: 'auto: bf16 on a GPU that has it, else fp32.' })),
    device: defaulted(
      choice(['auto', 'cpu', 'cuda'], {
        default: 'auto',
        description: 'Where training and serving run. Its evaluation server is stopped before a training stage on the same device and started again after; auto counts as cuda:0 there, cpu never clashes (docs/servers.md).',
      }),
    ),
    max_length: defaulted(Type.Integer({ minimum: 16, default: 1024, description: 'Most tokens of a training row (longer rows are cut).' })),
    python: Type.Optional(Type.String({ minLength: 1, description: 'The Python to run (default: TWENTYQ_PYTHON, else the environment of `twentyq setup python`).' })),
    threads: defaulted(
      Type.Unsafe<number | null>({
        type: ['integer', 'null'],
        minimum: 1,
        default: null,
        description: "Torch threads of training and serving (null: torch's default; set it to the cores actually free).",
      }),
    ),
    checkpoint: Type.Optional(Type.String({ 'x-file': true, description: 'Weights to start from: a <stage>.ckpt.json a trl train stage wrote, or a model or adapter folder.' })),
    serve: defaulted(
      choice(['auto', 'transformers', 'vllm'], {
        default: 'auto',
        description: 'The server that plays the weights: transformers serve (a LoRA adapter merged first) or vllm serve with the adapter; auto is vllm when device is cuda.',
      }),
    ),
    serve_timeout_s: defaulted(Type.Number({ exclusiveMinimum: 0, default: 600, description: 'Seconds the server has to load the weights.' })),
    show_candidates: defaulted(
      Type.Boolean({
        default: false,
        description: 'List the candidates in the system prompt (in training and in play alike). Off: a model with random weights learns far faster without the list.',
      }),
    ),
    tiny_seed: defaulted(Type.Integer({ minimum: 0, default: 0, description: 'Seed of the tiny model, when no model is given.' })),
    tiny: defaulted(
      Type.Unsafe<Partial<TinyConfig>>({
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: Object.fromEntries(Object.entries(TINY_CONFIG).map(([k, v]) => [k, { type: 'integer', minimum: 1, description: `Default ${v}.` }])),
        description: "Changes to the tiny model's architecture, when no model is given (e.g. { hidden_size: 256 }): vocab_size, hidden_size, layers, heads, kv_heads, intermediate_size, max_position_embeddings.",
      }),
    ),
    save_steps: defaulted(Type.Integer({ minimum: 1, default: 50, description: 'Trainer checkpoint every so many optimiser steps (what --resume continues from).' })),
    train_sampling: defaulted(
      choice(['random', 'batch_rebalance', 'group_by_length'], {
        default: 'random',
        description:
          "SFT: how rows make batches (transformers' train_sampling_strategy). random: random batches. batch_rebalance: each optimiser step's rows random as with random, split into micro batches of about one length (with micro_batch_size): the same steps, less padding. group_by_length: batches of about one length, the least padding, but each step learns from one kind of row (on tiny-lm-rl.yaml plain SFT won 16.7% of its games against 62.2%).",
      }),
    ),
    max_new_tokens: defaulted(Type.Integer({ minimum: 1, default: 48, description: 'GRPO: most tokens of a move the trainer generates.' })),
    processes: defaulted(
      Type.Integer({
        minimum: 1,
        default: 1,
        description: "Training processes: more than 1 starts them with accelerate launch on a GPU (device cuda, or an accelerate_config) and with torchrun on the CPU (gloo); a stage's batch_size stays the global batch.",
      }),
    ),
    accelerate_config: Type.Optional(Type.String({ 'x-file': true, description: 'An accelerate config file (DeepSpeed ZeRO-3, FSDP2: `twentyq trl plan` writes them): training starts under `accelerate launch --config_file`.' })),
    micro_batch_size: defaulted(
      Type.Unsafe<number | null>({
        type: ['integer', 'null'],
        minimum: 1,
        default: null,
        description: 'Rows a process computes at once; the rest of its share of the batch is gradient accumulation (null: the whole share at once).',
      }),
    ),
    gradient_checkpointing: defaulted(Type.Boolean({ default: false, description: 'Recompute activations in the backward pass: less memory for about a third more compute (a large model on a GPU).' })),
    use_vllm: defaulted(Type.Boolean({ default: false, description: "GRPO: generate the moves with TRL's vLLM integration (a GPU with vLLM installed) instead of model.generate." })),
    vllm_mode: defaulted(choice(['colocate', 'server'], { default: 'colocate', description: 'GRPO with use_vllm: colocate (vLLM inside each training process) or server (`trl vllm-serve` on other GPUs, at vllm_server_url).' })),
    vllm_server_url: defaulted(Type.String({ minLength: 1, default: 'http://127.0.0.1:8000', description: 'GRPO with use_vllm in server mode: where `trl vllm-serve` listens.' })),
    vllm_gpu_memory_utilization: defaulted(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.3, description: 'GRPO with use_vllm in colocate mode: the share of the GPU vLLM takes.' })),
    vllm_tensor_parallel_size: defaulted(Type.Integer({ minimum: 1, default: 1, description: 'GRPO with use_vllm in colocate mode: GPUs one vLLM spans.' })),
    ...endpoint,
    temperature: withDefault(endpoint.temperature, 0),
    max_tokens: withDefault(endpoint.max_tokens, 48),
    concurrency: withDefault(endpoint.concurrency, 8),
  },
  { additionalProperties: false },
);

export default definePlugin({
  kind: 'policy',
  name: 'trl',
  description:
    'A language model post-trained with Hugging Face TRL in a Python process (SFTTrainer, DPOTrainer, and GRPOTrainer playing whole games against the TypeScript engine served on loopback), played through an OpenAI-compatible server of its weights (transformers serve on the CPU, vLLM with the adapter on a GPU). Default model: the tiny model twentyq builds for the domain.',
  runs: 'waiting',
  trainable: true,
  options: OPTIONS,
  preflight: (options) => trlPreflight(options),
  create(options, context) {
    const state = options.checkpoint ? loadTrlCheckpoint(resolve(context.baseDir, options.checkpoint)) : undefined;
    return new TrlPolicy(options, context, state);
  },
});
