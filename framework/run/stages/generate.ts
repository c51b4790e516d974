import { STAGE_FILES } from '../../config/files.js';
import type { GenerateStage } from '../../config/types.js';
import type { StageContext, StageOutcome } from '../context.js';
import { gameSpecs } from '../games.js';
import { agreementOf, playedGames, playInto, sortPlayed } from './play.js';

/** Plays games with the teacher and keeps every trajectory: the data set later stages read. */
export async function generate(stage: GenerateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain, stage.weights);
  const file = STAGE_FILES.generate(stage.name).games;
  const played = ctx.resuming ? await playedGames(ctx.run.file(file)) : new Map();
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  let result;
  try {
    result = await playInto(ctx, stage, { policy: stage.policy, answerer: stage.answerer }, specs, out, played.get(stage.policy.label));
  } finally {
    out.close();
  }
  if (ctx.resuming && result.completed) await sortPlayed(ctx.run.file(file), [stage.policy.label]);
  const { agreement, notes: agreementNotes } = result.completed ? await agreementOf(ctx, stage, file) : { notes: [] };
  const notes = [...result.notes.map((n) => `${stage.name}: ${n}`), ...agreementNotes];
  return {
    completed: result.completed,
    rows: [{ stage: stage.name, policy: stage.policy.label, metrics: result.metrics }],
    notes,
    metrics: { teacher: stage.policy.label, answerer: stage.answerer.label, file, ...result.metrics, ...(agreement ? { answerer_agreement: agreement } : {}) },
  };
}
