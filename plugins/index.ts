import type { BuiltinTable } from '../framework/plugins/registry.js';

/** Every built-in plugin, one list per kind. Each loads on first use. */
export const BUILTINS: BuiltinTable = {
  domain: {
    animals90: () => import('./domains/animals90/index.js'),
  },
  answerer: {
    kb: () => import('./answerers/kb.js'),
    noisy: () => import('./answerers/noisy.js'),
    llm: () => import('./answerers/llm.js'),
  },
  policy: {
    random: () => import('./policies/random.js'),
    infogain: () => import('./policies/infogain.js'),
    optimal: () => import('./policies/optimal.js'),
    local: () => import('./policies/local/index.js'),
    checklist: () => import('./policies/checklist.js'),
    mixture: () => import('./policies/mixture.js'),
    api: () => import('./policies/api.js'),
    vllm: () => import('./policies/vllm.js'),
    trl: () => import('./policies/trl/index.js'),
  },
  reward: {
    efficiency: () => import('./rewards/efficiency.js'),
    binary: () => import('./rewards/binary.js'),
    regret: () => import('./rewards/regret.js'),
  },
  strategy: {
    'weighted-sft': () => import('./strategies/weighted-sft.js'),
    dpo: () => import('./strategies/dpo.js'),
    grpo: () => import('./strategies/grpo.js'),
  },
};
