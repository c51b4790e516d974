import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RULES, defineCommand, pluginContext, type RawRef } from '../../../../framework/plugin.js';
import { findPython } from '../environment.js';
import { buildTiny, TINY_CONFIG, type TinyConfig } from '../tiny.js';

export default defineCommand({
  summary: 'Build the tiny language model the trl backend trains on the CPU.',
  description: `A Qwen3-architecture causal LM with random weights (hidden 128, 4 layers, about 1.1M parameters) and a byte-level BPE tokenizer trained on the domain's own text: its system prompts, questions and paraphrases, names, answers, and the infogain expert's games against kb for every target. Built offline by the Python environment (\`twentyq setup python\`), identical for a seed, and cached under $TWENTYQ_HOME/models (named by domain, seed and a hash of corpus and config) unless --out is given. Prints the model's folder.`,
  examples: ['<%= config.bin %> model tiny', '<%= config.bin %> model tiny --seed 3 --out models/tiny', '<%= config.bin %> model tiny --hidden-size 256 --layers 4'],
  flags: {
    domain: Flags.string({ default: 'animals90', description: 'Domain plugin whose text the tokenizer learns.' }),
    seed: Flags.integer({ default: 0, description: 'Seed of the weights, the tokenizer and the corpus games.' }),
    out: Flags.string({ description: 'Folder to write the model to (default: the cache under $TWENTYQ_HOME/models).', helpValue: 'DIR' }),
    force: Flags.boolean({ default: false, description: 'Build again even when the folder holds the model.' }),
    python: Flags.string({ description: 'The Python to run (default: TWENTYQ_PYTHON, else the environment of twentyq setup python).' }),
    'vocab-size': Flags.integer({ min: 300, description: `Tokens in the tokenizer (default ${TINY_CONFIG.vocab_size}; more merges whole phrases into single tokens, which the model learns worse from).` }),
    'hidden-size': Flags.integer({ min: 8, description: `Width of the model (default ${TINY_CONFIG.hidden_size}).` }),
    layers: Flags.integer({ min: 1, description: `Transformer layers (default ${TINY_CONFIG.layers}).` }),
    heads: Flags.integer({ min: 1, description: `Attention heads (default ${TINY_CONFIG.heads}; must divide the width).` }),
    'kv-heads': Flags.integer({ min: 1, description: `Key/value heads (default ${TINY_CONFIG.kv_heads}; must divide the heads).` }),
    'intermediate-size': Flags.integer({ min: 1, description: `Width of the MLP (default ${TINY_CONFIG.intermediate_size}).` }),
  },
  async run({ flags }, io) {
    const python = findPython(flags.python);
    const config: Partial<TinyConfig> = {};
    if (flags['vocab-size'] !== undefined) config.vocab_size = flags['vocab-size'];
    if (flags['hidden-size'] !== undefined) config.hidden_size = flags['hidden-size'];
    if (flags.layers !== undefined) config.layers = flags.layers;
    if (flags.heads !== undefined) config.heads = flags.heads;
    if (flags['kv-heads'] !== undefined) config.kv_heads = flags['kv-heads'];
    if (flags['intermediate-size'] !== undefined) config.intermediate_size = flags['intermediate-size'];
    const shape = { ...TINY_CONFIG, ...config };
    if (shape.hidden_size % shape.heads !== 0) io.error(`--heads ${shape.heads} does not divide --hidden-size ${shape.hidden_size}`, { exit: 2 });
    if (shape.heads % shape.kv_heads !== 0) io.error(`--kv-heads ${shape.kv_heads} does not divide --heads ${shape.heads}`, { exit: 2 });
    // a plugin by name, or { use, with } written as YAML
    const domain = flags.domain.trim().startsWith('{') ? (parseYaml(flags.domain) as RawRef) : flags.domain.trim();
    const context = await pluginContext(domain, DEFAULT_RULES, process.cwd());
    const [policy, answerer] = await Promise.all([context.create('policy', 'infogain'), context.create('answerer', 'kb')]);
    const { dir, built } = await buildTiny({
      domain: context.domain,
      rules: DEFAULT_RULES,
      players: { policy, answerer },
      seed: flags.seed,
      config,
      python,
      ...(flags.out ? { out: resolve(flags.out) } : {}),
      force: flags.force === true,
      log: (line) => io.logToStderr(line),
    });
    if (!built) io.logToStderr(`the tiny model is built already (--force builds it again)`);
    io.log(dir);
  },
});
