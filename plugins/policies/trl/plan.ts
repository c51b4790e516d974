import { stringify } from 'yaml';

/*
 * Launch plans: how the trl backend's study runs on the hardware a user names (`twentyq trl plan`).
 * A plan is data: the accelerate config file (when training takes more than one process), the trl
 * policy's options that differ from the one-GPU experiment, and the commands to type, node by node.
 * The repository's experiments/qwen3-4b*.yaml and plugins/policies/trl/accelerate/*.yaml are these
 * plans written out (a test holds them equal), so that what the command prints is what was validated.
 */

export interface Hardware {
  /** Machines; with more than one, one of them serves vLLM and the others train. */
  nodes: number;
  gpusPerNode: number;
  /** GPU memory in GB (80 for an H100 SXM): the estimates are made against it. */
  gpuMemoryGb: number;
  model: string;
  /** On one node with several GPUs: how many serve vLLM (`trl vllm-serve`); the rest train. */
  vllmGpus?: number;
}

export interface Plan {
  /** A short name: the suffix of its files (qwen3-4b-8gpu.yaml). */
  name: string;
  summary: string;
  /** The accelerate config file, when training takes more than one process. */
  accelerate: { file: string; config: Record<string, unknown> } | null;
  /** The trl policy's options for this hardware (beside the model's own). */
  policy: Record<string, unknown>;
  /** Commands by where they run. */
  steps: { where: string; commands: string[] }[];
  /** Memory per GPU and time per step: each figure says whether it is measured or estimated. */
  estimates: string[];
}

/** Parameters of the models the plans know (billions), for the memory arithmetic; others are estimated from the name. */
const PARAMS_B: Record<string, number> = { 'Qwen/Qwen3-0.6B': 0.6, 'Qwen/Qwen3-1.7B': 1.7, 'Qwen/Qwen3-4B': 4.0, 'Qwen/Qwen3-8B': 8.2, 'Qwen/Qwen3-14B': 14.8, 'Qwen/Qwen3-32B': 32.8 };

export function paramsB(model: string): number {
  const known = PARAMS_B[model];
  if (known !== undefined) return known;
  const m = /(\d+(?:\.\d+)?)B\b/i.exec(model);
  if (!m) throw new Error(`the size of ${model} is not known: name a model whose name gives its size in billions (Qwen/Qwen3-8B)`);
  return Number(m[1]);
}

/** TRL's shipped zero3.yaml (trl/accelerate_configs), with the process count and machines of the plan. */
function zero3(processes: number): Record<string, unknown> {
  return {
    compute_environment: 'LOCAL_MACHINE',
    debug: false,
    deepspeed_config: { deepspeed_multinode_launcher: 'standard', offload_optimizer_device: 'none', offload_param_device: 'none', zero3_init_flag: true, zero3_save_16bit_model: true, zero_stage: 3 },
    distributed_type: 'DEEPSPEED',
    downcast_bf16: 'no',
    machine_rank: 0,
    main_training_function: 'main',
    mixed_precision: 'bf16',
    num_machines: 1,
    num_processes: processes,
    rdzv_backend: 'static',
    same_network: true,
    tpu_env: [],
    tpu_use_cluster: false,
    tpu_use_sudo: false,
    use_cpu: false,
  };
}

const gb = (x: number) => `${x.toFixed(0)} GB`;

/** The study's policy on every plan: LoRA r 16 in bf16, thinking off; rollouts through vLLM. */
const BASE_POLICY = { lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' }, device: 'cuda', precision: 'bf16', serve: 'vllm', gradient_checkpointing: true, micro_batch_size: 8, use_vllm: true };

/** Memory of training with LoRA: bf16 base weights (sharded by ZeRO-3 over `shards`), the adapter with its optimiser state, activations. */
function trainingMemory(b: number, shards: number): string {
  const weights = Math.max((2 * b) / shards, 1);
  return `training, per GPU: base weights ${gb(weights)} (${b}B x 2 bytes${shards > 1 ? ` / ${shards} ZeRO-3 shards` : ''}), the r 16 adapter with its fp32 gradients and Adam moments under 1 GB (about 33M parameters x 16 bytes for Qwen3-4B), activations of ${BASE_POLICY.micro_batch_size} sequences of up to 2,048 tokens with gradient checkpointing a few GB (estimate: arithmetic, not measured)`;
}

/** The plan for the hardware: one GPU (colocated vLLM), one node of several (server on some GPUs), or several nodes (a vLLM node). */
export function launchPlan(hw: Hardware): Plan {
  const { nodes, gpusPerNode: g, gpuMemoryGb: mem, model } = hw;
  if (!(Number.isInteger(nodes) && nodes >= 1)) throw new Error(`--nodes ${nodes}: a whole number of machines, 1 or more`);
  if (!(Number.isInteger(g) && g >= 1)) throw new Error(`--gpus ${g}: a whole number of GPUs per machine, 1 or more`);
  const b = paramsB(model);
  if (2 * b > mem * 0.6) throw new Error(`${model} (${b}B parameters, ${gb(2 * b)} in bf16) leaves too little of a ${mem} GB GPU for training and rollouts: name more GPU memory (--gpu-memory) or a smaller model`);
  const setup = { where: 'every node', commands: ['npx twentyq setup python --gpu', `hf download ${model}`] };
  const serveArgs = (dp: number, host: string) => `trl vllm-serve --model ${model} --data-parallel-size ${dp} --host ${host} --port 8000 --gpu-memory-utilization 0.9 --max-model-len 4096`;
  const genEstimate =
    'time per GRPO step: 64 games of about 12 moves, each move a batched generation of up to 48 tokens, then a training pass over about 100k tokens: on the order of 15-30 s on one H100 for a 4B model (estimate from arithmetic: 6 x params x tokens FLOPs at 40% of bf16 peak, plus one generation call per move; nothing measured on a GPU yet, bench/gpu.sh measures the tiny model)';
  if (nodes === 1 && g === 1) {
    return {
      name: 'qwen3-4b',
      summary: `one GPU: training and vLLM rollouts in one process (TRL's colocate mode, vLLM holding 30% of the GPU)`,
      accelerate: null,
      policy: { ...BASE_POLICY, vllm_mode: 'colocate', vllm_gpu_memory_utilization: 0.3 },
      steps: [setup, { where: 'the GPU machine', commands: ['npx twentyq run experiments/qwen3-4b.yaml'] }],
      estimates: [
        trainingMemory(b, 1),
        `vLLM colocated: 0.3 x ${mem} GB = ${gb(0.3 * mem)} (its own copy of the weights, ${gb(2 * b)}, and the KV cache); TRL's default share`,
        `the total must fit ${mem} GB: 24 GB is the least this plan was sized for (estimate)`,
        genEstimate,
      ],
    };
  }
  if (nodes === 1) {
    const serving = hw.vllmGpus ?? Math.max(1, Math.floor(g / 2));
    const training = g - serving;
    if (training < 1) throw new Error(`--vllm-gpus ${serving} leaves no GPU of ${g} to train on`);
    const trainGpus = Array.from({ length: training }, (_, i) => serving + i).join(',');
    const serveGpus = Array.from({ length: serving }, (_, i) => i).join(',');
    const name = `qwen3-4b-${g}gpu`;
    const file = `zero3-${training}.yaml`;
    return {
      name,
      summary: `${g} GPUs on one node: \`trl vllm-serve\` on GPUs ${serveGpus} (data parallel ${serving}), training on GPUs ${trainGpus} with DeepSpeed ZeRO-3 (${training} processes), weights synced to the server over NCCL after every step`,
      accelerate: { file, config: zero3(training) },
      policy: { ...BASE_POLICY, processes: training, accelerate_config: `../plugins/policies/trl/accelerate/${file}`, vllm_mode: 'server', vllm_server_url: 'http://127.0.0.1:8000' },
      steps: [
        setup,
        { where: `the node, GPUs ${serveGpus} (leave it running)`, commands: [`CUDA_VISIBLE_DEVICES=${serveGpus} ${serveArgs(serving, '127.0.0.1')}`] },
        { where: `the node, GPUs ${trainGpus}`, commands: [`CUDA_VISIBLE_DEVICES=${trainGpus} npx twentyq run experiments/${name}.yaml`] },
      ],
      estimates: [
        trainingMemory(b, training),
        `vLLM server: 90% of each serving GPU (a full copy of the weights, ${gb(2 * b)}, per data-parallel rank; the rest KV cache)`,
        `evaluation (vllm serve with the adapter) runs on the training GPUs between training stages, with the trainer stopped`,
        genEstimate.replace('on one H100', `on ${training} training GPUs with ${serving} serving`) + `; the training pass divides by ${training}`,
      ],
    };
  }
  const name = `qwen3-4b-${nodes}node`;
  const trainers = nodes - 1;
  if (trainers > 1) throw new Error(`--nodes ${nodes}: twentyq trains on one node (its environment server listens on loopback); a plan has one training node and one vLLM node (--nodes 2)`);
  const file = `zero3-${g}.yaml`;
  return {
    name,
    summary: `${nodes} nodes of ${g} GPUs: node B serves vLLM on all ${g} GPUs (\`trl vllm-serve\`, data parallel ${g}), node A trains on all ${g} with DeepSpeed ZeRO-3; the weights go from A to B over NCCL (port 51216) after every step`,
    accelerate: { file, config: zero3(g) },
    policy: { ...BASE_POLICY, processes: g, accelerate_config: `../plugins/policies/trl/accelerate/${file}`, vllm_mode: 'server', vllm_server_url: 'http://NODE_B:8000' },
    steps: [
      setup,
      { where: 'node B (vLLM; leave it running)', commands: [serveArgs(g, '0.0.0.0')] },
      { where: 'node A (training; NODE_B its address, ports 8000 and 51216 open between them)', commands: [`npx twentyq run experiments/${name}.yaml --set policy.with.vllm_server_url=http://$NODE_B:8000`] },
    ],
    estimates: [
      trainingMemory(b, g),
      `vLLM node: 90% of each GPU (a full copy of the weights per data-parallel rank)`,
      genEstimate.replace('on one H100', `on ${g} training GPUs with ${g} serving`) + `; the training pass divides by ${g}, the weight sync crosses the network once a step (${gb(2 * b)} merged weights in bf16)`,
    ],
  };
}

/** The accelerate config as its file is written. */
export function accelerateYaml(config: Record<string, unknown>): string {
  return `# Written by \`twentyq trl plan\` (plugins/policies/trl/plan.ts): TRL's zero3.yaml with this plan's processes.\n${stringify(config)}`;
}

/** The plan as the command prints it: what it is, the files, the commands, the estimates. */
export function formatPlan(plan: Plan, hw: Hardware): string {
  const out = [`# ${hw.model} on ${hw.nodes} node${hw.nodes > 1 ? 's' : ''} x ${hw.gpusPerNode} GPU${hw.gpusPerNode > 1 ? 's' : ''} (${hw.gpuMemoryGb} GB each)`, '', plan.summary, ''];
  out.push(
    `experiment: experiments/${plan.name}.yaml (the policy's options for this hardware):`,
    ...stringify({ policy: { use: 'trl', with: plan.policy } })
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
    '',
  );
  if (plan.accelerate)
    out.push(
      `accelerate config: plugins/policies/trl/accelerate/${plan.accelerate.file}`,
      ...accelerateYaml(plan.accelerate.config)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
      '',
    );
  for (const step of plan.steps) out.push(`on ${step.where}:`, ...step.commands.map((c) => `  ${c}`), '');
  out.push('expected:', ...plan.estimates.map((e) => `  - ${e}`));
  return out.join('\n') + '\n';
}
