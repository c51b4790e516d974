import { choice, type Static, type TObject, type TSchema, Type } from '../../../framework/plugin.js';

/*
 * The job files the TypeScript side writes for each command of the Python package (<command>.job.json),
 * declared once: their types here, their JSON Schemas in schemas/trl-job-<command>.schema.json. Every
 * field is written, so that the Python side needs no defaults of its own (README: Commands).
 */

const path = (description: string) => Type.String({ minLength: 1, description });

/** The header of a job's schema file. */
function job<P extends Record<string, TSchema>>(command: string, description: string, properties: P) {
  return Type.Object(properties, {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://twentyq.dev/schemas/trl-job-${command}.schema.json`,
    title: `twentyq_trl ${command} job`,
    description,
    additionalProperties: false,
  });
}

export const LORA = Type.Object(
  {
    r: Type.Integer({ minimum: 1, maximum: 512, description: 'Rank of the adapter.' }),
    alpha: Type.Number({ exclusiveMinimum: 0, description: 'Scaling of the adapter (alpha / r).' }),
    dropout: Type.Number({ minimum: 0, maximum: 1, description: "Dropout on the adapter's input." }),
    target_modules: Type.Unsafe<string[] | 'all-linear'>({ type: ['array', 'string'], items: { type: 'string' }, description: 'Modules adapted: a list of names, or "all-linear".' }),
  },
  { additionalProperties: false },
);

/** What every training command (sft, dpo, grpo) takes. */
const TRAINING = {
  model: path('A folder or Hugging Face id to start from: a full model folder, or a LoRA adapter folder.'),
  output_dir: path("The stage's folder: trainer checkpoints in checkpoints/checkpoint-N/, the trained model in final/."),
  resume: Type.Boolean({ description: 'Continue from the newest checkpoint in output_dir.' }),
  data: path('The rows, one JSON object a line (schemas/trl-<command>.schema.json; grpo: {"prompt": TARGET_KEY}).'),
  lora: Type.Union([LORA, Type.Null()], { description: 'null: full fine-tuning; an adapter otherwise (continuing from an adapter keeps training it).' }),
  precision: choice(['auto', 'fp32', 'bf16', 'fp16']),
  device: choice(['auto', 'cpu', 'cuda']),
  threads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "Torch threads (null: torch's default)." }),
  seed: Type.Integer(),
  max_length: Type.Integer({ minimum: 1, description: 'Most tokens of a row.' }),
  save_steps: Type.Integer({ minimum: 1, description: 'A checkpoint every so many optimiser steps.' }),
  learning_rate: Type.Number({ exclusiveMinimum: 0 }),
  batch_size: Type.Integer({ minimum: 1, description: 'Rows (grpo: games) of one optimiser step, over all processes.' }),
  processes: Type.Integer({ minimum: 1, description: 'Training processes the job runs in (torchrun or accelerate launch start them; each holds batch_size / processes rows a step).' }),
  micro_batch_size: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: 'Rows a process computes at once; the rest of its share is gradient accumulation (null: its whole share at once).',
  }),
  gradient_checkpointing: Type.Boolean({ description: 'Recompute activations in the backward pass (less memory, about a third more compute).' }),
};

/** The fields every training command gets from the policy and the stage; each command adds its own. */
export type TrainingFields = Omit<Static<TObject<typeof TRAINING>>, 'learning_rate' | 'batch_size'>;

export const SFT_JOB = job('sft', 'SFTTrainer on conversational rows, loss on the assistant turns.', {
  ...TRAINING,
  epochs: Type.Number({ exclusiveMinimum: 0 }),
  train_sampling: choice(['random', 'batch_rebalance', 'group_by_length'], { description: "transformers' train_sampling_strategy: how rows make batches and micro batches." }),
});

export const DPO_JOB = job('dpo', 'DPOTrainer on preference rows, the reference being the model the stage starts from.', {
  ...TRAINING,
  epochs: Type.Number({ exclusiveMinimum: 0 }),
  beta: Type.Number({ exclusiveMinimum: 0 }),
});

export const GRPO_JOB = job('grpo', 'GRPOTrainer playing whole games against the TypeScript engine at env_url.', {
  ...TRAINING,
  env_url: path('The engine served on loopback: POST /reset and /step.'),
  steps: Type.Integer({ minimum: 1, description: 'Optimiser steps.' }),
  num_generations: Type.Integer({ minimum: 2, description: 'Games per target in a group.' }),
  targets_per_step: Type.Integer({ minimum: 1 }),
  temperature: Type.Number({ exclusiveMinimum: 0 }),
  beta: Type.Number({ minimum: 0 }),
  epsilon: Type.Number({ exclusiveMinimum: 0 }),
  scale_rewards: choice(['group', 'batch', 'none'], { description: "What a reward less its group's mean is divided by (TRL's scale_rewards)." }),
  move_regret: Type.Number({ minimum: 0, description: "Per-move credit: a move's tokens get the game's advantage less this times the move's regret above the step's mean (the environment sends each game's per-turn regrets); 0: off." }),
  max_new_tokens: Type.Integer({ minimum: 1, description: 'Most tokens of a move.' }),
  use_vllm: Type.Boolean({ description: "Generate the moves with TRL's vLLM integration instead of model.generate." }),
  vllm_mode: choice(['colocate', 'server'], { description: 'colocate: vLLM inside each training process; server: `trl vllm-serve` at vllm_server_url.' }),
  vllm_server_url: path('The `trl vllm-serve` server (server mode).'),
  vllm_gpu_memory_utilization: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of the GPU vLLM takes (colocate mode).' }),
  vllm_tensor_parallel_size: Type.Integer({ minimum: 1, description: 'GPUs one colocated vLLM spans (colocate mode).' }),
});

export const MERGE_JOB = job('merge', 'A LoRA adapter merged into its base.', {
  adapter: path('The adapter folder.'),
  output_dir: path('Where the merged model goes.'),
});

export const TINY_JOB = job('tiny', "The tiny Qwen3-architecture model, with a tokenizer trained on the domain's text.", {
  corpus: path('The text the tokenizer is trained on, one line each.'),
  output_dir: path('Where the model goes.'),
  seed: Type.Integer({ minimum: 0 }),
  vocab_size: Type.Integer({ minimum: 1 }),
  hidden_size: Type.Integer({ minimum: 1 }),
  layers: Type.Integer({ minimum: 1 }),
  heads: Type.Integer({ minimum: 1 }),
  kv_heads: Type.Integer({ minimum: 1 }),
  intermediate_size: Type.Integer({ minimum: 1 }),
  max_position_embeddings: Type.Integer({ minimum: 1 }),
});

export const TRL_JOBS = { sft: SFT_JOB, dpo: DPO_JOB, grpo: GRPO_JOB, merge: MERGE_JOB, tiny: TINY_JOB };

/** A command of the Python package and its job, as the process is started with them. */
export type TrlCommand = { [C in keyof typeof TRL_JOBS]: { command: C; job: Static<(typeof TRL_JOBS)[C]> } }[keyof typeof TRL_JOBS];
