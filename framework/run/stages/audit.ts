import { STAGE_FILES } from '../../config/files.js';
import type { AuditStage } from '../../config/types.js';
import { auditGames, auditSummary, auditTable } from '../../metrics/audit.js';
import { StageError, type StageContext, type StageOutcome } from '../context.js';

/** Coverage of a data set before anything trains on it; an animal without a winning game stops the run. */
export async function audit(stage: AuditStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, domain, progress } = ctx;
  const report = await auditGames(ctx.games(stage.from), domain, stage.min_wins_per_animal);
  const summary = auditSummary(report);
  const files = STAGE_FILES.audit(stage.name);
  run.writeJson(files.report, report);
  run.writeText(files.table, auditTable(report.animals, report.noun) + '\n\n' + summary + '\n');
  run.setStage(stage.name, 'running', files.report, files.table);
  // The summary goes to the run's summary at the end (or into the error): printed once, also with --progress none.
  const details = (table: string) => `${summary.replace(/^/gm, '  ')}\n  per-${report.noun} table: ${table}`;
  progress.log(`${stage.name}: audited the games of stage ${stage.from}; per-${report.noun} table: ${run.file(files.table)}`);
  if (report.thin.length > 0) progress.log(`WARNING: ${report.thin.length} animals have fewer than ${stage.min_wins_per_animal} winning games: ${report.thin.join(', ')}`);
  if (report.gaps.length > 0) {
    const message = `${stage.name}: ${report.gaps.length} ${report.gaps.length === 1 ? `${report.noun} has` : `${report.plural} have`} no winning game in ${stage.from}: ${report.gaps.join(', ')}. Training on this data cannot teach ${report.gaps.length === 1 ? 'it' : 'them'}: generate more games for ${report.gaps.length === 1 ? 'it' : 'them'} (check the generate stage's weights), or set on_gap: warn to go on anyway.`;
    if (stage.on_gap === 'fail') throw new StageError(`${message}\n${details(run.file(files.table))}`);
    progress.log(`WARNING: ${message}`);
  }
  const wins = report.animals.map((a) => a.wins);
  return {
    completed: true,
    rows: [],
    notes: [`${stage.name}, audit of the games of stage ${stage.from}:\n${details(files.table)}`],
    metrics: {
      games: report.games,
      wins: report.wins,
      wins_per_animal_min: Math.min(...wins),
      gaps: report.gaps,
      thin: report.thin,
      answers_checked: report.answers_checked,
      contradictions: report.contradictions,
    },
  };
}
