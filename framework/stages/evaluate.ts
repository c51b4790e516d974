import { Type } from '@sinclair/typebox';
import type { GameSummary } from '../metrics/outcome.js';
import { clustered } from '../metrics/paired.js';
import { pluginField, type RawRef } from '../plugins/ref.js';
import type { PluginRef } from '../plugins/types.js';
import { stageBound } from '../run/bound.js';
import type { StageContext, StageOutcome, SummaryRow } from '../run/context.js';
import { gameSpecs, type GameCount } from '../run/games.js';
import { checkBaseline, comparisons, recordsOf, type AnswererMetrics } from './baseline.js';
import { checkSize, gameCount, orNothing, pluginOr, SETTINGS } from './common.js';
import { defineStage, type SettingsPath, type StageResolver } from './define.js';
import { regretSemantics, stageRegret, type RegretMode } from './regret.js';
import { choice, defaulted } from '../util/typebox.js';
import { agreementOf, playedGames, playInto, playKey, sortPlayed, unknownsOf } from './play.js';
import { countEntry, pluginEntry } from './write.js';

export type EvaluateStage = {
  kind: 'evaluate';
  name: string;
  /** Absent: the current policy (the experiment's, or the last train stage's checkpoint). */
  policies?: PluginRef[];
  /** The answerer, or the first of `answerers`. */
  answerer: PluginRef;
  /** Several answerers: every policy plays the stage's games against each (transfer). */
  answerers?: PluginRef[];
  /**
   * Compare every other policy with this one, pair by pair: a policy label of this stage, or
   * STAGE/LABEL, a policy of an earlier evaluate stage that played the same targets.
   */
  baseline?: string;
  /** The share of failed games (outcome error) a policy may have before the stage fails. */
  max_error_rate: number;
  /** Which games get the exact regret of their moves (see regret.ts). */
  regret: RegretMode;
} & GameCount;

const files = (name: string) => ({ games: `${name}.jsonl`, regret: `${name}.regret.jsonl` });

const plugins = (description: string) => Type.Optional(Type.Array(pluginField(), { minItems: 1, description }));

const settings = orNothing(
  Type.Object(
    {
      name: SETTINGS.name,
      policies: plugins("Policies to compare; defaults to the current policy (the experiment's, or the last train stage's)."),
      answerer: Type.Optional(pluginField({ description: "Defaults to the experiment's answerer." })),
      answerers: plugins("Several answerers instead of one: every policy plays the stage's games against each (a policy trained against kb, evaluated against noisy and coin-semantics kb)."),
      baseline: Type.Optional(
        Type.String({
          minLength: 1,
          description:
            'Compare every other policy with this one, game by game (exact McNemar test over targets for success, paired bootstrap interval for mean questions): a policy label of this stage, or STAGE/LABEL for a policy of an earlier evaluate stage that played the same targets.',
        }),
      ),
      games_per_animal: SETTINGS.games_per_animal,
      games: SETTINGS.games,
      max_error_rate: SETTINGS.max_error_rate,
      regret: defaulted(
        choice(['auto', 'always', 'never'], {
          default: 'auto',
          description:
            "The exact regret of every move (expected questions lost to the best move, from the exact tree), in <name>.regret.jsonl and metrics.json, for games against an answerer that answers from the truth table alone (kb): auto with unknown: say; always also with unknown: coin (slower: about 1.5 s a game of a random policy on animals90); never. Other answerers' games (noisy, a language model) have none.",
        }),
      ),
    },
    { additionalProperties: false, description: 'Plays fresh games with one or several policies and reports the outcome metrics.' },
  ),
);

/** Plugins of a list, each resolved; two with one label are a problem (their games would mix). */
async function resolveList(kind: 'policy' | 'answerer', raws: readonly RawRef[], at: StageResolver, key: SettingsPath[number]): Promise<PluginRef[]> {
  const refs: PluginRef[] = [];
  for (const [i, raw] of raws.entries()) {
    const ref = await at.plugin(kind, raw, [key, i]);
    if (!ref) continue;
    if (refs.some((other) => other.label === ref.label)) at.problem([key, i], `two ${kind === 'policy' ? 'policies' : 'answerers'} are labelled "${ref.label}"; give one a label: (label: my-name)`);
    refs.push(ref);
  }
  return refs;
}

export default defineStage({
  kind: 'evaluate',
  settings,
  plays: 'evaluation',
  files,
  async resolve(s, at) {
    const count = gameCount(s, at);
    const policies = s.policies ? await resolveList('policy', s.policies, at, 'policies') : undefined;
    if (s.answerers && s.answerer !== undefined) at.problem(['answerers'], 'set answerer or answerers, not both');
    const answerers = s.answerers ? await resolveList('answerer', s.answerers, at, 'answerers') : undefined;
    if (s.baseline !== undefined) checkBaseline(s.baseline, policies ? policies.map((p) => p.label) : [at.scope.policy.label], at);
    checkSize(count, undefined, (s.policies?.length ?? 1) * (s.answerers?.length ?? 1), at);
    const answerer = answerers?.[0] ?? (await pluginOr(at, 'answerer', s.answerer, 'answerer', at.scope.answerer));
    return {
      kind: 'evaluate',
      name: at.name,
      ...(policies ? { policies } : {}),
      answerer,
      ...(answerers ? { answerers } : {}),
      ...(s.baseline !== undefined ? { baseline: s.baseline } : {}),
      max_error_rate: s.max_error_rate,
      regret: s.regret,
      ...count,
    };
  },
  run: evaluate,
  write: (stage) => ({
    name: stage.name,
    ...(stage.policies ? { policies: stage.policies.map(pluginEntry) } : {}),
    // the loader takes one or the other
    ...(stage.answerers ? { answerers: stage.answerers.map(pluginEntry) } : { answerer: pluginEntry(stage.answerer) }),
    ...(stage.baseline !== undefined ? { baseline: stage.baseline } : {}),
    max_error_rate: stage.max_error_rate,
    regret: stage.regret,
    ...countEntry(stage),
  }),
  answerers: (stage) => [stage.answerer, ...(stage.answerers ?? [])],
  uses: (stage, { current, reward }) => [...(stage.policies ?? (current ? [current] : [])).map((p) => ['policy', p] as const), ...[stage.answerer, ...(stage.answerers ?? [])].map((a) => ['answerer', a] as const), ['reward', reward]],
});

/**
 * Plays fresh games with each policy against each answerer and measures the outcome: all policies play
 * the same games. Then, from the stage's file: distinct games and intervals clustered by target, and
 * with a baseline, every other policy compared with it game by game.
 */
async function evaluate(stage: EvaluateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain);
  const file = files(stage.name).games;
  const policies = stage.policies ?? [ctx.current.policy];
  const answerers = stage.answerers ?? [stage.answerer];
  const several = answerers.length > 1;
  const tag = (a: PluginRef) => (several ? a.label : undefined);
  const keyOf = (p: PluginRef, a: PluginRef) => playKey({ policy: p.label, ...(several ? { answerer: a.label } : {}) });
  const played = ctx.resuming ? await playedGames(ctx.run.file(file), { domain: ctx.domain, max_questions: ctx.experiment.game.max_questions }) : new Map<string, GameSummary[]>();
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  const rows: SummaryRow[] = [];
  const notes: string[] = [];
  const byAnswerer = new Map<string, AnswererMetrics>();
  const shape = () => (several ? { answerers: Object.fromEntries(byAnswerer) } : { ...byAnswerer.values().next().value });
  try {
    for (const answerer of answerers) {
      const bound = await stageBound(ctx, answerer, specs);
      const entry: AnswererMetrics = { answerer: answerer.label, unknowns: await unknownsOf(ctx, answerer), policies: {}, ...(bound ? { bound } : {}) };
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
  if (ctx.resuming)
    await sortPlayed(
      ctx.run.file(file),
      answerers.flatMap((a) => policies.map((p) => keyOf(p, a))),
    );
  const records = await recordsOf(ctx.run.file(file), { domain: ctx.domain, max_questions: ctx.experiment.game.max_questions });
  for (const row of rows) {
    const c = clustered(records.get(playKey(row)) ?? []);
    row.clustered = c;
    byAnswerer.get(row.answerer ?? answerers[0]!.label)!.policies[row.policy] = { ...row.metrics, clustered: c };
  }
  if (stage.baseline !== undefined) notes.push(...(await comparisons(stage, ctx, answerers, policies, records, byAnswerer)));
  notes.push(...(await regretOf(stage, ctx, answerers, byAnswerer)));
  const { agreement, notes: agreementNotes } = await agreementOf(ctx, stage, file);
  notes.push(...agreementNotes);
  return { completed: true, rows, notes, metrics: { ...shape(), ...(agreement ? { answerer_agreement: agreement } : {}) } };
}

/**
 * The exact regret of every move of the stage's games against a deterministic answerer (kb): a line a
 * game in <stage>.regret.jsonl, and per policy the mean per game, by turn and the costliest questions
 * in metrics.json; one note per answerer for the summary.
 */
async function regretOf(stage: EvaluateStage, ctx: StageContext, answerers: readonly PluginRef[], byAnswerer: Map<string, AnswererMetrics>): Promise<string[]> {
  const instances = await Promise.all(answerers.map(async (a) => ({ label: a.label, answerer: await ctx.plugins.create('answerer', a) })));
  if (!instances.some((a) => regretSemantics(a.answerer, stage.regret)) || !ctx.domain.truth) return [];
  const { games, regret: file } = files(stage.name);
  const out = ctx.run.openJsonl(file, 'w');
  let result: Awaited<ReturnType<typeof stageRegret>>;
  try {
    result = await stageRegret(ctx.run.file(games), { domain: ctx.domain, rules: ctx.experiment.game, answerers: instances, several: answerers.length > 1, mode: stage.regret }, out);
  } finally {
    out.close();
  }
  ctx.run.setStage(stage.name, 'running', file);
  const notes = result.notes.map((n) => `${stage.name}: ${n}`);
  for (const a of answerers) {
    const entry = byAnswerer.get(a.label)!;
    const shown: string[] = [];
    for (const [policy, metrics] of Object.entries(entry.policies)) {
      const stats = result.stats.get(playKey({ policy, ...(answerers.length > 1 ? { answerer: a.label } : {}) }));
      if (!stats) continue;
      entry.policies[policy] = { ...metrics, regret: stats };
      shown.push(`${policy} ${stats.mean_regret.toFixed(3)}`);
    }
    if (shown.length > 0) notes.push(`${stage.name}: regret per game${answerers.length > 1 ? ` against ${a.label}` : ''} (expected questions lost to the best moves): ${shown.join(', ')}`);
  }
  return notes;
}
