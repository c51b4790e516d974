import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { DEFAULT_RULES } from '../../../game/types.js';
import { PluginFactory } from '../../../plugins/factory.js';
import { findPython } from '../../../python.js';
import { buildTiny } from '../../../../plugins/policies/trl/tiny.js';
import { refFromFlag } from '../../interactive.js';
import { TwentyqCommand } from '../../shared.js';

export default class ModelTiny extends TwentyqCommand {
  static override summary = 'Build the tiny language model the trl backend trains on the CPU.';
  static override description = `A Qwen3-architecture causal LM with random weights (hidden 128, 4 layers, about 1.1M parameters) and a byte-level BPE tokenizer trained on the domain's own text: its system prompts, questions and paraphrases, names, answers, and the infogain expert's games against kb for every target. Built offline by the Python environment (\`twentyq setup python\`), identical for a seed, and cached under $TWENTYQ_HOME/models (named by domain, seed and a hash of corpus and config) unless --out is given. Prints the model's folder.`;
  static override examples = ['<%= config.bin %> model tiny', '<%= config.bin %> model tiny --seed 3 --out models/tiny'];
  static override flags = {
    domain: Flags.string({ default: 'animals90', description: 'Domain plugin whose text the tokenizer learns.' }),
    seed: Flags.integer({ default: 0, description: 'Seed of the weights, the tokenizer and the corpus games.' }),
    out: Flags.string({ description: 'Folder to write the model to (default: the cache under $TWENTYQ_HOME/models).', helpValue: 'DIR' }),
    force: Flags.boolean({ default: false, description: 'Build again even when the folder holds the model.' }),
    python: Flags.string({ description: 'The Python to run (default: TWENTYQ_PYTHON, else the environment of twentyq setup python).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ModelTiny);
    const python = findPython(flags.python);
    const factory = await PluginFactory.forDomain(refFromFlag(flags.domain), DEFAULT_RULES, process.cwd());
    const [policy, answerer] = await Promise.all([factory.create('policy', 'infogain'), factory.create('answerer', 'kb')]);
    const { dir, built } = await buildTiny({
      domain: factory.domain,
      rules: DEFAULT_RULES,
      players: { policy, answerer },
      seed: flags.seed,
      python,
      ...(flags.out ? { out: resolve(flags.out) } : {}),
      force: flags.force,
      log: (line) => this.logToStderr(line),
    });
    if (!built) this.logToStderr(`the tiny model is built already (--force builds it again)`);
    this.log(dir);
  }
}
