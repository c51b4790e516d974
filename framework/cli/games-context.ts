import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Flags } from '@oclif/core';
import { loadExperiment } from '../config/load.js';
import type { Rules } from '../game/types.js';
import { DEFAULT_PLUGINS } from '../plugins/builtins.js';
import { PluginFactory, type RawRef } from '../plugins/factory.js';
import { readRunConfig } from '../run/rundir.js';

export const configFlag = Flags.string({
  description: "Experiment file (or a run's config.yaml) whose domain and rules the games were played under; default: the run directory's config.yaml when the file sits in one.",
  helpValue: 'FILE',
});

export interface GamesContextFlags {
  config?: string;
  domain?: string;
  'max-questions'?: number;
  'wrong-guess'?: string;
}

/**
 * The domain and rules that games in a file were played under. A config.yaml beside the file is used
 * only in a real run directory (run.json beside it): an unrelated one would not fit, and loading a
 * config imports the plugin files it names. --config picks one instead; --domain, --max-questions and
 * --wrong-guess override parts of it. Every config goes through the experiment loader, so one that
 * does not fit gets its problems at their places. What is used is said on stderr.
 */
export async function factoryForGames(file: string, flags: GamesContextFlags): Promise<PluginFactory> {
  const dir = dirname(file);
  const beside = join(dir, 'config.yaml');
  let config: { domain: RawRef; game: Rules; baseDir: string } | undefined;
  let from: string;
  if (flags.config !== undefined) {
    config = await loadExperiment(flags.config);
    from = flags.config;
  } else if (existsSync(beside) && existsSync(join(dir, 'run.json'))) {
    config = await readRunConfig(dir);
    from = beside;
  } else {
    from = existsSync(beside) ? `the flags (${beside} is ignored: there is no run.json beside it, so it is not a run's config; --config ${beside} uses it)` : 'the flags';
  }
  const rules: Rules = {
    max_questions: flags['max-questions'] ?? config?.game.max_questions ?? 20,
    wrong_guess: (flags['wrong-guess'] as Rules['wrong_guess'] | undefined) ?? config?.game.wrong_guess ?? 'continue',
  };
  const domain: RawRef = flags.domain ?? config?.domain ?? DEFAULT_PLUGINS.domain;
  const factory = await PluginFactory.forDomain(domain, rules, flags.domain !== undefined || !config ? process.cwd() : config.baseDir);
  process.stderr.write(`games of ${file}: domain ${factory.domain.name}, max_questions ${rules.max_questions}, wrong_guess ${rules.wrong_guess}; from ${from}\n`);
  return factory;
}
