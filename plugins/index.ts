import type { BuiltinTable, FormatTable } from '../framework/plugin.js';

/** Every built-in plugin, one list per kind. Each loads on first use. */
export const BUILTINS: BuiltinTable = {
  domain: {
    animals90: () => import('./domains/animals90/index.js'),
    table: () => import('./domains/table/index.js'),
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
    vllm: () => import('./policies/vllm/index.js'),
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

/**
 * The plugins the framework uses when an experiment or a command names none: the experiment's domain,
 * answerer, policy and reward, and the strategies `twentyq export` makes each kind of training set with.
 */
export const DEFAULTS = {
  domain: 'animals90',
  answerer: 'kb',
  policy: 'infogain',
  reward: 'efficiency',
  strategy: { sft: 'weighted-sft', dpo: 'dpo' },
} as const;

/** The row formats plugins contribute (`twentyq export`, the dataset stage write the first). Each loads on first use. */
export const FORMATS: FormatTable = {
  trl: () => import('./policies/trl/rows.js'),
};
