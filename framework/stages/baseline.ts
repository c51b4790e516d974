import type { RegretStats } from './regret.js';
import { readGames } from '../data/games.js';
import type { GameChecks } from '../data/checks.js';
import type { OutcomeMetrics } from '../metrics/outcome.js';
import { compare, PairingError, recordOf, winsOnlyText, type Comparison, type GameRecord } from '../metrics/paired.js';
import { fixed, formatTable, pct } from '../metrics/table.js';
import type { PluginRef } from '../plugins/types.js';
import type { UnknownAnswers } from '../game/types.js';
import type { StageBound } from '../run/bound.js';
import type { StageContext } from '../run/context.js';
import { deriveSeed } from '../util/rng.js';
import type { ResolvedStage, StageResolver } from './define.js';
import type { EvaluateStage } from './evaluate.js';
import { playKey } from './play.js';

/** What metrics.json holds for one answerer of an evaluate stage. */
export interface AnswererMetrics {
  /** The answerer's label, and what its "unknown" means (the viewer's candidates left read it so). */
  answerer: string;
  unknowns: UnknownAnswers;
  /** Each policy's outcome, and where its answerer is deterministic, the regret of its moves. */
  policies: Record<string, OutcomeMetrics & { regret?: RegretStats }>;
  bound?: StageBound;
  baseline?: string;
  comparisons?: Record<string, Comparison | { error: string }>;
}

/** A baseline names a policy of its stage, or STAGE/LABEL: a policy of an earlier evaluate stage. */
export function checkBaseline(baseline: string, labels: readonly string[], at: StageResolver): void {
  const slash = baseline.indexOf('/');
  const problem = (message: string) => at.problem(['baseline'], message);
  if (slash < 0) {
    if (!labels.includes(baseline)) problem(`no policy of this stage is labelled "${baseline}"; its policies: ${labels.join(', ')} (or name one of an earlier evaluate stage as STAGE/LABEL)`);
    return;
  }
  const [stageName, label] = [baseline.slice(0, slash), baseline.slice(slash + 1)];
  const evaluated = at.scope.earlier.filter((s) => at.scope.playsOf(s) === 'evaluation');
  const stage = evaluated.find((s): s is ResolvedStage & Pick<EvaluateStage, 'policies'> => s.name === stageName);
  if (!stage) {
    const names = evaluated.map((s) => s.name);
    problem(`no earlier evaluate stage is named "${stageName}"${names.length > 0 ? `; earlier evaluate stages: ${names.join(', ')}` : ''}`);
    return;
  }
  const theirs = stage.policies?.map((p) => p.label);
  if (theirs && !theirs.includes(label)) problem(`stage ${stageName} has no policy labelled "${label}"; its policies: ${theirs.join(', ')}`);
}

/** The games of a stage's file as GameRecords, by play key (policy, and answerer when several). */
export async function recordsOf(file: string, checks: GameChecks & { max_questions: number }, only?: (policy: string) => boolean): Promise<Map<string, GameRecord[]>> {
  const records = new Map<string, GameRecord[]>();
  const maxQuestions = checks.max_questions;
  for await (const t of readGames(file, checks)) {
    if (t.outcome === 'error' || (only && !only(t.policy))) continue;
    const key = playKey(t);
    const list = records.get(key);
    if (list) list.push(recordOf(t, maxQuestions));
    else records.set(key, [recordOf(t, maxQuestions)]);
  }
  return records;
}

/** Every policy against the stage's baseline (this stage's, or STAGE/LABEL of an earlier one), per answerer. */
export async function comparisons(stage: EvaluateStage, ctx: StageContext, answerers: readonly PluginRef[], policies: readonly PluginRef[], records: Map<string, GameRecord[]>, byAnswerer: Map<string, AnswererMetrics>): Promise<string[]> {
  const baseline = stage.baseline!;
  const slash = baseline.indexOf('/');
  const [from, label] = slash < 0 ? [undefined, baseline] : [baseline.slice(0, slash), baseline.slice(slash + 1)];
  const several = answerers.length > 1;
  // an earlier stage's games: its baseline policy's, against the answerer of the same label when it had several
  const earlier = from === undefined ? undefined : await recordsOf(ctx.run.file(ctx.files(from).games!), { domain: ctx.domain, max_questions: ctx.experiment.game.max_questions }, (p) => p === label);
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
          winsOnlyText(c),
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
      `${stage.name}: paired with ${baseline} (same targets${from === undefined ? ' and games' : ''}; success: exact McNemar test over targets; questions: 95% paired bootstrap over targets, 2000 resamples, seeded)\n` +
        formatTable(['policy', ...(several ? ['answerer'] : []), 'pairs', 'success diff', 'wins only:baseline only', 'McNemar p', 'avg q diff', '95% CI'], table),
    );
  }
  return [...lines, ...problems];
}
