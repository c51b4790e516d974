import { STAGE_FILES } from '../../config/files.js';
import type { EvaluateStage } from '../../config/types.js';
import { readGames } from '../../data/games.js';
import type { OutcomeMetrics } from '../../metrics/outcome.js';
import { clustered, compare, PairingError, recordOf, type Comparison, type GameRecord } from '../../metrics/paired.js';
import { fixed, formatTable, pct } from '../../metrics/table.js';
import type { PluginRef } from '../../plugins/types.js';
import { deriveSeed } from '../../util/rng.js';
import { stageBound, type StageBound } from '../bound.js';
import type { StageContext, StageOutcome, SummaryRow } from '../context.js';
import { gameSpecs } from '../games.js';
import { agreementOf, playedGames, playInto, playKey, sortPlayed } from './play.js';

/** What metrics.json holds for one answerer of an evaluate stage. */
interface AnswererMetrics {
  policies: Record<string, OutcomeMetrics>;
  bound?: StageBound;
  baseline?: string;
  comparisons?: Record<string, Comparison | { error: string }>;
}

/**
 * Plays fresh games with each policy against each answerer and measures the outcome: all policies play
 * the same games. Then, from the stage's file: distinct games and intervals clustered by target, and
 * with a baseline, every other policy compared with it game by game.
 */
export async function evaluate(stage: EvaluateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain);
  const file = STAGE_FILES.evaluate(stage.name).games;
  const policies = stage.policies ?? [ctx.current.policy];
  const answerers = stage.answerers ?? [stage.answerer];
  const several = answerers.length > 1;
  const tag = (a: PluginRef) => (several ? a.label : undefined);
  const keyOf = (p: PluginRef, a: PluginRef) => playKey({ policy: p.label, ...(several ? { answerer: a.label } : {}) });
  const played = ctx.resuming ? await playedGames(ctx.run.file(file)) : new Map();
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  const rows: SummaryRow[] = [];
  const notes: string[] = [];
  const byAnswerer = new Map<string, AnswererMetrics>();
  const shape = () => (several ? { answerers: Object.fromEntries(byAnswerer) } : { ...byAnswerer.values().next().value });
  try {
    for (const answerer of answerers) {
      const bound = await stageBound(ctx, answerer, specs);
      const entry: AnswererMetrics = { policies: {}, ...(bound ? { bound } : {}) };
      byAnswerer.set(answerer.label, entry);
      for (const policy of policies) {
        const answererTag = tag(answerer);
        const result = await playInto(ctx, stage, { policy, answerer, ...(answererTag !== undefined ? { answererTag } : {}) }, specs, out, played.get(keyOf(policy, answerer)));
        entry.policies[policy.label] = result.metrics;
        for (const note of result.notes.map((n) => `${stage.name}: ${n}`)) if (!notes.includes(note)) notes.push(note);
        rows.push({ stage: stage.name, policy: policy.label, ...(answererTag !== undefined ? { answerer: answererTag } : {}), metrics: result.metrics, ...(bound ? { bound } : {}) });
        if (!result.completed) return { completed: false, rows, notes, metrics: shape() };
      }
    }
  } finally {
    out.close();
  }
  if (ctx.resuming) await sortPlayed(ctx.run.file(file), answerers.flatMap((a) => policies.map((p) => keyOf(p, a))));
  const records = await recordsOf(ctx.run.file(file), ctx.experiment.game.max_questions);
  for (const row of rows) {
    const c = clustered(records.get(playKey(row)) ?? []);
    row.clustered = c;
    byAnswerer.get(row.answerer ?? answerers[0]!.label)!.policies[row.policy] = { ...row.metrics, clustered: c };
  }
  if (stage.baseline !== undefined) notes.push(...(await comparisons(stage, ctx, answerers, policies, records, byAnswerer)));
  const { agreement, notes: agreementNotes } = await agreementOf(ctx, stage, file);
  notes.push(...agreementNotes);
  return { completed: true, rows, notes, metrics: { ...shape(), ...(agreement ? { answerer_agreement: agreement } : {}) } };
}

/** The games of a stage's file as GameRecords, by play key (policy, and answerer when several). */
async function recordsOf(file: string, maxQuestions: number, only?: (policy: string) => boolean): Promise<Map<string, GameRecord[]>> {
  const records = new Map<string, GameRecord[]>();
  for await (const t of readGames(file)) {
    if (t.outcome === 'error' || (only && !only(t.policy))) continue;
    const key = playKey(t);
    const list = records.get(key);
    if (list) list.push(recordOf(t, maxQuestions));
    else records.set(key, [recordOf(t, maxQuestions)]);
  }
  return records;
}

/** Every policy against the stage's baseline (this stage's, or STAGE/LABEL of an earlier one), per answerer. */
async function comparisons(
  stage: EvaluateStage,
  ctx: StageContext,
  answerers: readonly PluginRef[],
  policies: readonly PluginRef[],
  records: Map<string, GameRecord[]>,
  byAnswerer: Map<string, AnswererMetrics>,
): Promise<string[]> {
  const baseline = stage.baseline!;
  const slash = baseline.indexOf('/');
  const [from, label] = slash < 0 ? [undefined, baseline] : [baseline.slice(0, slash), baseline.slice(slash + 1)];
  const several = answerers.length > 1;
  // an earlier stage's games: its baseline policy's, against the answerer of the same label when it had several
  const earlier = from === undefined ? undefined : await recordsOf(ctx.run.file(STAGE_FILES.evaluate(from).games), ctx.experiment.game.max_questions, (p) => p === label);
  const baselineOf = (answerer: PluginRef): GameRecord[] | undefined => {
    if (!earlier) return records.get(playKey({ policy: label, ...(several ? { answerer: answerer.label } : {}) }));
    return earlier.get(playKey({ policy: label, answerer: answerer.label })) ?? (earlier.size === 1 ? earlier.values().next().value : undefined);
  };
  const table: string[][] = [];
  const problems: string[] = [];
  for (const answerer of answerers) {
    const base = baselineOf(answerer);
    const entry = byAnswerer.get(answerer.label)!;
    entry.baseline = baseline;
    entry.comparisons = {};
    for (const policy of policies) {
      if (from === undefined && policy.label === label) continue;
      const key = playKey({ policy: policy.label, ...(several ? { answerer: answerer.label } : {}) });
      const mine = records.get(key) ?? [];
      if (!base) {
        const error = `no games of the baseline ${baseline}${several ? ` against ${answerer.label}` : ''}`;
        entry.comparisons[policy.label] = { error };
        problems.push(`${stage.name}: ${policy.label}: ${error}`);
        continue;
      }
      try {
        const c = compare(mine, base, deriveSeed(ctx.experiment.seed, stage.name, 'bootstrap', key), 2000, [`${stage.name}/${policy.label}`, baseline]);
        entry.comparisons[policy.label] = c;
        table.push([
          policy.label,
          ...(several ? [answerer.label] : []),
          String(c.pairs),
          `${c.success_diff >= 0 ? '+' : ''}${pct(c.success_diff)}`,
          `${c.wins_only_policy}:${c.wins_only_baseline}`,
          c.mcnemar_p < 0.0001 ? '<0.0001' : c.mcnemar_p.toFixed(4),
          `${c.questions_diff >= 0 ? '+' : ''}${fixed(c.questions_diff, 3)}`,
          `${fixed(c.questions_diff_ci[0], 3)} to ${fixed(c.questions_diff_ci[1], 3)}`,
        ]);
      } catch (error) {
        if (!(error instanceof PairingError)) throw error;
        entry.comparisons[policy.label] = { error: error.message };
        problems.push(`${stage.name}: ${error.message}`);
      }
    }
  }
  const lines: string[] = [];
  if (table.length > 0) {
    lines.push(
      `${stage.name}: paired with ${baseline} (same targets${from === undefined ? ' and games' : ''}; success: exact McNemar test; questions: 95% paired bootstrap over targets, 2000 resamples, seeded)\n` +
        formatTable(['policy', ...(several ? ['answerer'] : []), 'pairs', 'success diff', 'wins only:baseline only', 'McNemar p', 'avg q diff', '95% CI'], table),
    );
  }
  return [...lines, ...problems];
}
