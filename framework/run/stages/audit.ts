import type { AuditStage } from '../../config/types.js';
import { auditGames, auditSummary, auditTable } from '../../metrics/audit.js';
import { StageError, type StageContext, type StageOutcome } from '../context.js';

/** Coverage of a data set before anything trains on it; an animal without a winning game stops the run. */
export async function audit(stage: AuditStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, domain, progress } = ctx;
  const report = await auditGames(ctx.games(stage.from), domain, stage.min_wins_per_animal);
  const summary = auditSummary(report);
  run.writeJson(`${stage.name}.json`, report);
  run.writeText(`${stage.name}.txt`, auditTable(report.animals) + '\n\n' + summary + '\n');
  run.setStage(stage.name, 'running', `${stage.name}.json`, `${stage.name}.txt`);
  progress.log(`${stage.name} (games of ${stage.from}):\n${summary.replace(/^/gm, '  ')}\n  per-animal table: ${run.file(`${stage.name}.txt`)}`);
  if (report.thin.length > 0) progress.log(`WARNING: ${report.thin.length} animals have fewer than ${stage.min_wins_per_animal} winning games: ${report.thin.join(', ')}`);
  if (report.gaps.length > 0) {
    const message = `${stage.name}: ${report.gaps.length} animal${report.gaps.length === 1 ? ' has' : 's have'} no winning game in ${stage.from}: ${report.gaps.join(', ')}. Training on this data cannot teach ${report.gaps.length === 1 ? 'it' : 'them'}: generate more games for ${report.gaps.length === 1 ? 'it' : 'them'} (check the generate stage's weights), or set on_gap: warn to go on anyway.`;
    if (stage.on_gap === 'fail') throw new StageError(message);
    progress.log(`WARNING: ${message}`);
  }
  const wins = report.animals.map((a) => a.wins);
  return {
    completed: true,
    rows: [],
    notes: [`${stage.name}: ${summary.split('\n')[0]}`],
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
