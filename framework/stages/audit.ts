import { Type } from '@sinclair/typebox';
import { choice, defaulted } from '../util/typebox.js';
import { auditGames, auditSummary, auditTable } from '../metrics/audit.js';
import { StageError, type StageContext, type StageOutcome } from '../run/context.js';
import { gamesSource, SETTINGS, orNothing } from './common.js';
import { defineStage } from './define.js';

/** Coverage of a data set: wins per animal; an animal without a win stops the run unless on_gap is warn. */
export interface AuditStage {
  kind: 'audit';
  name: string;
  /** The stage whose games are audited. */
  from: string;
  min_wins_per_animal: number;
  on_gap: 'fail' | 'warn';
}

const files = (name: string) => ({ report: `${name}.json`, table: `${name}.txt` });

const settings = orNothing(
  Type.Object(
    {
      name: SETTINGS.name,
      from: SETTINGS.from('The stage whose games to read; defaults to the last generate stage before this one.'),
      min_wins_per_animal: defaulted(Type.Integer({ minimum: 1, default: 1, description: 'Fewer wins than this is a warning.' })),
      on_gap: defaulted(choice(['fail', 'warn'], { default: 'fail', description: 'What an animal with no winning game does to the run.' })),
    },
    {
      additionalProperties: false,
      description: "Coverage of a stage's games per animal: games, wins, win rate, fewest and median questions of the wins, answers that contradict the truth table. An animal with no winning game fails the run unless on_gap is warn.",
    },
  ),
);

export default defineStage({
  kind: 'audit',
  settings,
  files,
  async resolve(s, at) {
    return { kind: 'audit', name: at.name, from: gamesSource(s.from, at), min_wins_per_animal: s.min_wins_per_animal, on_gap: s.on_gap };
  },
  run: audit,
  write: (stage) => ({ name: stage.name, from: stage.from, min_wins_per_animal: stage.min_wins_per_animal, on_gap: stage.on_gap }),
});

/** Coverage of a data set before anything trains on it; an animal without a winning game stops the run. */
async function audit(stage: AuditStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, domain, progress } = ctx;
  const report = await auditGames(ctx.games(stage.from), domain, stage.min_wins_per_animal);
  const summary = auditSummary(report);
  const stageFiles = files(stage.name);
  run.writeJson(stageFiles.report, report);
  run.writeText(stageFiles.table, auditTable(report.animals, report.noun) + '\n\n' + summary + '\n');
  run.setStage(stage.name, 'running', stageFiles.report, stageFiles.table);
  // The summary goes to the run's summary at the end (or into the error): printed once, also with --progress none.
  const details = (table: string) => `${summary.replace(/^/gm, '  ')}\n  per-${report.noun} table: ${table}`;
  progress.log(`${stage.name}: audited the games of stage ${stage.from}; per-${report.noun} table: ${run.file(stageFiles.table)}`);
  if (report.thin.length > 0) progress.log(`WARNING: ${report.thin.length} ${report.plural} have fewer than ${stage.min_wins_per_animal} winning games: ${report.thin.join(', ')}`);
  if (report.gaps.length > 0) {
    const message = `${stage.name}: ${report.gaps.length} ${report.gaps.length === 1 ? `${report.noun} has` : `${report.plural} have`} no winning game in ${stage.from}: ${report.gaps.join(', ')}. Training on this data cannot teach ${report.gaps.length === 1 ? 'it' : 'them'}: generate more games for ${report.gaps.length === 1 ? 'it' : 'them'} (check the generate stage's weights), or set on_gap: warn to go on anyway.`;
    if (stage.on_gap === 'fail') throw new StageError(`${message}\n${details(run.file(stageFiles.table))}`);
    progress.log(`WARNING: ${message}`);
  }
  const wins = report.animals.map((a) => a.wins);
  return {
    completed: true,
    rows: [],
    notes: [`${stage.name}, audit of the games of stage ${stage.from}:\n${details(stageFiles.table)}`],
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
