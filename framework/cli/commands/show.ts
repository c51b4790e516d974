import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { duration, formatDuration, readRun } from '../../report/runs.js';
import { TwentyqCommand, UsageError } from '../shared.js';

export default class Show extends TwentyqCommand {
  static override summary = "Print a run's summary again.";
  static override description = "Reads RUN_DIR's run.json (status and stages), and prints its summary.txt; a run that ended before writing summary.txt shows its stages and what metrics.json holds.";
  static override examples = ['<%= config.bin %> show runs/pipeline/20261127-181805'];
  static override args = { dir: Args.string({ required: true, description: 'A run directory.' }) };
  static override flags = { json: Flags.boolean({ description: 'Print run.json, metrics.json and the summary as one JSON object.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Show);
    if (!existsSync(args.dir)) throw new UsageError(`${args.dir}: no such run directory`);
    const run = readRun(args.dir);
    if (run.unreadable) throw new UsageError(run.unreadable.problem);
    if (!run.record && !run.metrics && run.summary === undefined) throw new UsageError(`${args.dir} is not a run directory: it has none of run.json, metrics.json, summary.txt`);
    if (flags.json) return this.log(JSON.stringify({ dir: run.dir, run: run.record ?? null, metrics: run.metrics ?? null, summary: run.summary ?? null, problems: run.problems }, null, 2));
    const rec = run.record;
    if (rec) {
      this.log(`${rec.experiment} ${rec.run_id}: ${rec.status}, started ${rec.started}, ${formatDuration(duration(rec))}${rec.error ? `\nerror: ${rec.error}` : ''}`);
      this.log(`stages: ${rec.stages.map((s) => `${s.name} (${s.kind}) ${s.status}${s.seconds !== undefined ? ` ${formatDuration(s.seconds)}` : ''}`).join(', ')}`);
    } else this.log(`${run.dir}: no run.json`);
    for (const p of run.problems) this.log(`problem: ${p}`);
    if (run.summary !== undefined) this.log('\n' + run.summary.trimEnd());
    else this.log(`\nno summary.txt (the run did not reach its end)${run.metrics?.stages ? `; metrics.json holds stages ${Object.keys(run.metrics.stages).join(', ')}` : ''}`);
  }
}
