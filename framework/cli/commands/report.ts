import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { defaultCachePath } from '../../llm/cache.js';
import { ModelLayer, withModels } from '../../llm/layer.js';
import { writeReport } from '../../report/index.js';
import { cacheFlags, TwentyqCommand, UsageError } from '../shared.js';

export default class Report extends TwentyqCommand {
  static override summary = 'Write an HTML report of one or more runs.';
  static override description =
    "One self-contained HTML file (charts as inline SVG, no script or style fetched): the summary with intervals and paired differences, success and mean questions as bars with their bounds, training curves, questions per game, a sortable per-animal table, the audit's coverage, a game viewer and the evaluation gap (style against outcome). Several runs are compared side by side. Every run writes its own report.html when it ends.";
  static override examples = ['<%= config.bin %> report runs/pipeline/20261127-181805', '<%= config.bin %> report runs/pipeline/A runs/pipeline/B --out compare.html'];
  static override strict = false;
  static override args = { dirs: Args.string({ required: true, description: 'Run directories.' }) };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'The HTML file (default: RUN_DIR/report.html for one run, report.html for several).' }),
    ...cacheFlags('model responses', ", where the embeddings of an experiment's report.embeddings endpoint are kept"),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Report);
    const dirs = argv as string[];
    for (const d of dirs) {
      if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`${d}: no such run directory`);
      if (!existsSync(join(d, 'run.json')) && !existsSync(join(d, 'config.yaml'))) throw new UsageError(`${d} is not a run directory: it has neither run.json nor config.yaml`);
    }
    const out = flags.out ?? (dirs.length === 1 ? join(dirs[0]!, 'report.html') : 'report.html');
    const started = performance.now();
    const models = new ModelLayer({ cache: flags['no-cache'] ? null : (flags.cache ?? defaultCachePath()) });
    let bytes: number;
    try {
      bytes = await withModels(models, () => writeReport(dirs, out));
    } finally {
      await models.close();
    }
    this.log(`${out}: ${(bytes / 1024).toFixed(0)} KiB, written in ${((performance.now() - started) / 1000).toFixed(2)}s`);
  }
}
