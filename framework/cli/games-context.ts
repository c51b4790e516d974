import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Rules } from '../game/types.js';
import { PluginFactory, type RawRef } from '../plugins/factory.js';
import { readRunConfig } from '../run/rundir.js';

/**
 * The domain and rules that games in a file were played under: from the resolved config.yaml of the
 * run directory they sit in, or else from the command's flags.
 */
export async function factoryForGames(file: string, flags: { domain?: string; 'max-questions'?: number; 'wrong-guess'?: string }): Promise<{ factory: PluginFactory; from: string }> {
  const config = join(dirname(file), 'config.yaml');
  if (existsSync(config) && flags.domain === undefined && flags['max-questions'] === undefined && flags['wrong-guess'] === undefined) {
    const run = readRunConfig(dirname(file));
    return { factory: await PluginFactory.forDomain(run.domain, run.game, run.baseDir), from: config };
  }
  const rules: Rules = { max_questions: flags['max-questions'] ?? 20, wrong_guess: flags['wrong-guess'] === 'lose' ? 'lose' : 'continue' };
  return { factory: await PluginFactory.forDomain((flags.domain ?? 'animals90') as RawRef, rules, process.cwd()), from: 'flags' };
}
