import { Flags } from '@oclif/core';
import { formatTable } from '../../metrics/table.js';
import { duration, findRuns, formatDuration, headline } from '../../report/runs.js';
import { TwentyqCommand } from '../shared.js';

export default class Runs extends TwentyqCommand {
  static override summary = 'List the runs in the runs folder.';
  static override description =
    "One line per run directory (runs/<experiment>/<run-id>/), oldest first: its id, experiment, status, start, duration, stages done, and the last evaluated policy's success and mean questions. A run whose run.json is missing or damaged is listed with what it has.";
  static override examples = ['<%= config.bin %> runs', '<%= config.bin %> runs --experiment pipeline --out runs'];
  static override flags = {
    experiment: Flags.string({ char: 'e', description: 'Only the runs of this experiment.' }),
    out: Flags.string({ char: 'o', default: 'runs', description: 'The runs folder (as twentyq run --out).' }),
    json: Flags.boolean({ description: 'Print the runs as JSON.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Runs);
    const runs = findRuns(flags.out, flags.experiment);
    if (flags.json) {
      return this.log(
        JSON.stringify(
          runs.map((r) => ({
            dir: r.dir,
            run_id: r.record?.run_id ?? null,
            experiment: r.record?.experiment ?? r.metrics?.experiment ?? null,
            status: r.record?.status ?? null,
            started: r.record?.started ?? null,
            seconds: duration(r.record) ?? null,
            stages_done: r.record?.stages.filter((s) => s.status === 'done').length ?? null,
            stages: r.record?.stages.length ?? null,
            headline: headline(r.record),
            problems: r.problems,
          })),
          null,
          2,
        ),
      );
    }
    if (runs.length === 0) return this.log(`no runs in ${flags.out}${flags.experiment ? ` for experiment ${flags.experiment}` : ''}`);
    this.log(
      formatTable(
        ['run', 'experiment', 'status', 'started', 'duration', 'stages', 'last evaluation', 'dir'],
        runs.map((r) => {
          const rec = r.record;
          const id = rec?.run_id ?? r.dir.split(/[\\/]/).at(-1)!;
          return [
            id,
            rec?.experiment ?? r.metrics?.experiment ?? r.dir.split(/[\\/]/).at(-2)!,
            rec?.status ?? (r.unreadable ? `format ${r.unreadable.format ?? '?'}` : r.problems.length > 0 ? 'damaged' : 'no run.json'),
            rec ? rec.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
            formatDuration(duration(rec)),
            rec ? `${rec.stages.filter((s) => s.status === 'done').length}/${rec.stages.length}` : '-',
            headline(rec),
            r.dir,
          ];
        }),
      ),
    );
  }
}
