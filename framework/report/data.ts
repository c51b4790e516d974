import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddingsSettings } from '../config/types.js';
import { playKey, readGames } from '../data/games.js';
import type { GameChecks } from '../data/checks.js';
import { Belief } from '../game/belief.js';
import type { Domain } from '../game/domain.js';
import type { Trajectory, UnknownAnswers } from '../game/types.js';
import type { OutcomeMetrics } from '../metrics/outcome.js';
import type { Comparison } from '../metrics/paired.js';
import type { StageBound } from '../run/bound.js';
import { RunFileError } from '../run/rundir.js';
import type { AlarmFigures } from '../stages/alarms.js';
import type { StageFiles } from '../stages/define.js';
import type { RegretStats } from '../stages/regret.js';
import { stageDef } from '../stages/index.js';
import { recordedRun, type RecordedStage } from './recorded.js';
import { readRun, type RunInfo } from './runs.js';
import { cosine } from '../llm/embed.js';
import { embedTexts } from '../llm/layer.js';
import { bagOf, spearman, styleScore, type Bag } from './style.js';
import type { ViewerGame, ViewerTurn } from './page/games.js';

export type { ViewerGame, ViewerTurn } from './page/games.js';

/** Everything a report shows of one run, aggregated here so that the page carries figures, not games. */
export interface RunReport {
  info: RunInfo;
  maxQuestions: number;
  candidates: string[];
  /** What the domain calls a candidate, and its plural ("animal", "animals"). */
  noun: string;
  plural: string;
  /** What the run did not record (a run of an older format), said on the page. */
  missing: string[];
  stages: StageReport[];
  gap?: EvaluationGap;
  /** The games the viewer offers of those played: at most perTarget per policy and target, perPolicy per policy. */
  sampled: { offered: number; played: number; perTarget: number; perPolicy: number };
}

/** One policy's games in a playing stage (against one answerer). */
export interface PlayReport {
  key: string;
  policy: string;
  answerer?: string;
  /** What its answerer's "unknown" meant, as the run recorded it. */
  unknowns?: UnknownAnswers;
  metrics?: OutcomeMetrics;
  /** The exact bound of the game it played (its answerer's semantics, the rules, its targets). */
  bound?: StageBound;
  /** The policy it was compared with game by game, and the comparison. */
  baseline?: string;
  comparison?: Comparison | { error: string };
  /** counts[q]: games won with q questions; lost: games lost. */
  counts: number[];
  lost: number;
  errors: number;
  /** Mean style score of its games against the reference (the expert's games of the same target). */
  style?: number;
  /** Mean embedding cosine of its games against the reference (best reference game of the same target), when an embeddings endpoint is named. */
  embedding?: number;
  /** The exact regret of its moves (an evaluate stage against kb): per game, by turn, the costliest questions. */
  regret?: RegretStats;
  games: ViewerGame[];
}

export interface StageReport {
  name: string;
  kind: string;
  status: string;
  seconds?: number;
  plays: PlayReport[];
  /** A training stage's curve: its lines, in order. */
  curve?: Record<string, unknown>[];
  /** A GRPO stage's figures per step, summed up, and the alarms that fired. */
  grpo?: AlarmFigures;
  /** An audit's per-animal coverage. */
  audit?: { target: string; games: number; wins: number; win_rate: number; fewest: number | null; median: number | null; contradictions: number }[];
  auditSummary?: Record<string, unknown>;
}

export interface GapRow {
  stage: string;
  policy: string;
  answerer?: string;
  style: number;
  embedding?: number;
  success: number;
  efficiency: number;
  avg_questions: number;
}

export interface EvaluationGap {
  reference: string;
  rows: GapRow[];
  /** Spearman's rank correlation of the style score with efficiency and with success, across the rows. */
  rho_efficiency: number;
  rho_success: number;
  /** The embedding cosine, when the experiment names an embeddings endpoint: where it came from, and its rank correlations; or why it is missing. */
  embedding?: EmbeddingGap;
  /** The rows whose style rank and efficiency rank differ most. */
  disagreements: (GapRow & { style_rank: number; outcome_rank: number })[];
}

export interface EmbeddingGap {
  base_url: string;
  model: string;
  /** Why the score is missing (the endpoint could not be reached, ...); the figures below are then absent. */
  error?: string;
  rho_efficiency?: number;
  rho_success?: number;
  /** Distinct texts embedded. */
  texts?: number;
}

export interface ReportOptions {
  /** Games offered in the viewer per policy and target (default 2), and per policy in all (default 300). */
  perTarget?: number;
  perPolicy?: number;
  /** Reference games per target that a style score is taken against (default 20). */
  references?: number;
}

/** The figures of a stage's metrics.json entry for one answerer (an evaluate stage with several nests them). */
interface PlayingMetrics {
  /** What the answerer's "unknown" means (format 2 on). */
  unknowns?: UnknownAnswers;
  policies?: Record<string, OutcomeMetrics & { regret?: RegretStats }>;
  bound?: StageBound;
  baseline?: string;
  comparisons?: Record<string, Comparison | { error: string }>;
  answerers?: Record<string, PlayingMetrics>;
}

/** What metrics.json says of one play: its figures, the bound of its game, its comparison. */
type PlayFacts = Pick<PlayReport, 'metrics' | 'bound' | 'baseline' | 'comparison' | 'unknowns' | 'regret'>;

function questionTexts(t: Trajectory): string[] {
  return t.turns.filter((turn) => turn.move.kind === 'question').map((turn) => turn.move.text);
}

/** The turns of a game as the viewer shows them, with the candidates left after each (when the domain has a truth table). */
export function viewerGame(t: Trajectory, domain: Domain | undefined, threeWay: boolean, regrets?: readonly number[]): ViewerGame {
  const belief = domain?.truth ? new Belief(domain, threeWay) : undefined;
  let before = belief ? belief.consistent().count : undefined;
  const turns = t.turns.map((turn, i): ViewerTurn => {
    const m = turn.move;
    const out: ViewerTurn = { kind: m.kind, text: m.text };
    if (turn.answer !== undefined) out.answer = turn.answer;
    if (belief) {
      const left = belief.update(t.turns.slice(0, i + 1)).consistent().count;
      out.left = left;
      out.bits = before! > 0 && left > 0 ? Math.log2(before! / left) : 0;
      before = left;
    }
    if (m.raw !== undefined) out.raw = m.raw;
    if (m.kind === 'invalid') out.reason = m.reason;
    if (m.usage) out.tokens = m.usage.prompt_tokens + m.usage.completion_tokens;
    if (regrets?.[i] !== undefined) out.regret = regrets[i];
    if (turn.answer_raw !== undefined) out.answer_raw = turn.answer_raw;
    return out;
  });
  const regret = regrets?.reduce((a, b) => a + b, 0);
  return {
    game: t.game,
    target: t.target,
    outcome: t.outcome,
    questions: t.questions,
    invalid: t.invalid,
    ...(t.reward !== undefined ? { reward: t.reward } : {}),
    ...(regret !== undefined ? { regret } : {}),
    ...(t.error ? { error: t.error } : {}),
    turns,
  };
}

/** What a stage's games are (see StageDef.plays), from its kind; nothing for a kind this version does not know. */
function playsOf(kind: string): 'data' | 'evaluation' | undefined {
  return stageDef(kind)?.plays;
}

function readJsonLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** An evaluate stage's regret file: each game's regrets per turn, by play key and game number. */
function readRegrets(file: string | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (!file) return out;
  for (const line of readJsonLines(file)) {
    const { game, regret } = line;
    if (typeof game !== 'number' || !Array.isArray(regret) || !regret.every((r) => typeof r === 'number')) continue;
    const key = playKey({ policy: String(line.policy), ...(typeof line.answerer === 'string' ? { answerer: line.answerer } : {}) });
    out.set(`${key}\u0000${game}`, regret);
  }
  return out;
}

/**
 * The reference of the style score: the first generate stage's games (the demonstrations policies learn
 * from), else the baseline policy of the first evaluate stage that names one of its own; none otherwise.
 */
function referenceOf(stages: readonly RecordedStage[], dir: string, metrics: Record<string, { baseline?: unknown } | undefined>): { stage: string; file: string; key?: string } | undefined {
  const gamesOf = (s: RecordedStage) => join(dir, s.outputs.games ?? '');
  const gen = stages.find((s) => playsOf(s.kind) === 'data' && s.outputs.games && existsSync(gamesOf(s)));
  if (gen) return { stage: gen.name, file: gamesOf(gen) };
  const ev = stages.find((s) => playsOf(s.kind) === 'evaluation' && s.outputs.games && typeof metrics[s.name]?.baseline === 'string' && !(metrics[s.name]!.baseline as string).includes('/'));
  return ev ? { stage: ev.name, file: gamesOf(ev), key: metrics[ev.name]!.baseline as string } : undefined;
}

/** The reference games of the style score, by target: bags of words, and texts for the embedding cosine. */
async function readReference(reference: { file: string; key?: string }, maxRefs: number, checks: GameChecks): Promise<{ refs: Map<string, Bag[]>; refTexts: Map<string, string[]>; referenceKey: string | undefined }> {
  const refs = new Map<string, Bag[]>();
  // one string per game
  const refTexts = new Map<string, string[]>();
  let referenceKey: string | undefined;
  for await (const t of readGames(reference.file, checks)) {
    if (t.outcome === 'error') continue;
    const key = playKey(t);
    referenceKey ??= reference.key ?? key;
    if (key !== referenceKey) continue;
    const list = refs.get(t.target) ?? [];
    if (list.length < maxRefs) {
      list.push(bagOf(questionTexts(t)));
      refTexts.set(t.target, [...(refTexts.get(t.target) ?? []), gameText(questionTexts(t))]);
    }
    refs.set(t.target, list);
  }
  return { refs, refTexts, referenceKey };
}

/** A training stage's curve and an audit's per-animal table, from the files its kind writes. */
function addTraining(report: StageReport, files: StageFiles, dir: string, m: PlayingMetrics | undefined): void {
  if (files.curve) report.curve = readJsonLines(join(dir, files.curve));
  const grpo = (m as { grpo?: AlarmFigures } | undefined)?.grpo;
  if (grpo && typeof grpo.steps === 'number') report.grpo = grpo;
  const auditFile = files.report;
  if (auditFile) {
    const audit = (() => {
      try {
        return JSON.parse(readFileSync(join(dir, auditFile), 'utf8')) as { animals?: StageReport['audit'] };
      } catch {
        return undefined;
      }
    })();
    if (audit?.animals) report.audit = audit.animals;
    if (m) report.auditSummary = m as Record<string, unknown>;
  }
}

/** One answerer's entry: each policy's figures with the entry's bound, baseline and semantics. */
function factsOf(m: PlayingMetrics, answerer: string | undefined, into: Map<string, PlayFacts>): void {
  // a run of format 1 recorded no semantics: its bound's are the answerer's, where it had one
  const unknowns = m.unknowns ?? m.bound?.semantics;
  for (const [p, pm] of Object.entries(m.policies ?? {})) {
    const comparison = m.comparisons?.[p];
    const { regret, ...metrics } = pm;
    into.set(playKey({ policy: p, ...(answerer !== undefined ? { answerer } : {}) }), {
      metrics,
      ...(regret ? { regret } : {}),
      ...(unknowns ? { unknowns } : {}),
      ...(m.bound ? { bound: m.bound } : {}),
      ...(comparison && m.baseline !== undefined ? { baseline: m.baseline, comparison } : {}),
    });
  }
}

/** A playing stage's facts per play key: an evaluate stage's policies (per answerer when several); a generate stage's teacher (key ''). */
function factsByKey(m: PlayingMetrics | undefined): Map<string, PlayFacts> {
  const byKey = new Map<string, PlayFacts>();
  if (m?.answerers) for (const [a, am] of Object.entries(m.answerers)) factsOf(am, a, byKey);
  else if (m?.policies) factsOf(m, undefined, byKey);
  else if (m && typeof (m as { games?: unknown }).games === 'number') byKey.set('', { metrics: m as unknown as OutcomeMetrics, ...(m.unknowns ? { unknowns: m.unknowns } : {}) });
  return byKey;
}

/** A play as it is gathered: its report, and the running sums its style score and viewer sample need. */
interface Gathering {
  play: PlayReport;
  styleSum: number;
  styleN: number;
  perTargetSeen: Map<string, number>;
  /** Deterministic policies repeat their games: the score of a sequence of questions is computed once per target. */
  cache: Map<string, number | undefined>;
  /** Its distinct games (target and question texts, with how often each was played), for the embedding cosine. */
  texts: Map<string, { target: string; text: string; n: number }>;
}

/** What gathering the stages shares: the run's domain and budget, the style references, the viewer's sample. */
interface GatherContext {
  domain: Domain | undefined;
  maxQuestions: number;
  checks: GameChecks;
  refs: Map<string, Bag[]>;
  sampled: RunReport['sampled'];
  /** The regrets of the stage being gathered (see readRegrets). */
  regrets?: Map<string, number[]>;
}

/** Adds one game to its play: counts, style score, and the viewer's sample. */
function addGame(g: Gathering, t: Trajectory, evaluated: boolean, ctx: GatherContext): void {
  const { play } = g;
  ctx.sampled.played++;
  if (t.outcome === 'error') play.errors++;
  else if (t.outcome === 'win') play.counts[Math.min(t.questions, ctx.maxQuestions)]!++;
  else play.lost++;
  if (evaluated && t.outcome !== 'error') {
    const texts = questionTexts(t);
    const cacheKey = `${t.target}\u0000${texts.join('\u0001')}`;
    if (!g.cache.has(cacheKey)) g.cache.set(cacheKey, styleScore(bagOf(texts), ctx.refs.get(t.target) ?? []));
    const s = g.cache.get(cacheKey);
    if (s !== undefined) {
      g.styleSum += s;
      g.styleN++;
      const seenText = g.texts.get(cacheKey);
      if (seenText) seenText.n++;
      else g.texts.set(cacheKey, { target: t.target, text: gameText(texts), n: 1 });
    }
  }
  const seen = g.perTargetSeen.get(t.target) ?? 0;
  if (seen < ctx.sampled.perTarget && play.games.length < ctx.sampled.perPolicy) {
    g.perTargetSeen.set(t.target, seen + 1);
    // "unknown" splits the candidates three ways where the answerer says it exactly where the table does
    play.games.push(viewerGame(t, ctx.domain, play.unknowns === 'say', ctx.regrets?.get(`${play.key}\u0000${t.game}`)));
    ctx.sampled.offered++;
  }
}

/** Streams a playing stage's games file once: each play's counts, style and sample, with what metrics.json says of it. */
async function gatherPlays(file: string, kind: string, facts: Map<string, PlayFacts>, ctx: GatherContext): Promise<Gathering[]> {
  const plays = new Map<string, Gathering>();
  for await (const t of readGames(file, ctx.checks)) {
    const key = playKey(t);
    let g = plays.get(key);
    if (!g) {
      const known = facts.get(key) ?? (facts.size === 1 ? facts.get('') : undefined);
      const play: PlayReport = { key, policy: t.policy, ...(t.answerer !== undefined ? { answerer: t.answerer } : {}), ...known, counts: new Array<number>(ctx.maxQuestions + 1).fill(0), lost: 0, errors: 0, games: [] };
      g = { play, styleSum: 0, styleN: 0, perTargetSeen: new Map(), cache: new Map(), texts: new Map() };
      plays.set(key, g);
    }
    addGame(g, t, playsOf(kind) === 'evaluation', ctx);
  }
  for (const g of plays.values()) if (g.styleN > 0) g.play.style = g.styleSum / g.styleN;
  return [...plays.values()];
}

/**
 * Reads a run directory and aggregates what its report shows, from what the run recorded alone: no
 * plugin is created and no process started (a run copied to a machine without its plugins reports the
 * same). Games files are streamed once each.
 */
export async function gatherRun(dir: string, options: ReportOptions = {}): Promise<RunReport> {
  const info = readRun(dir);
  if (info.unreadable) throw new RunFileError(info.unreadable.problem);
  const recorded = recordedRun(dir, info.record);
  const { domain, rules } = recorded;
  const metrics = (info.metrics?.stages ?? {}) as Record<string, Record<string, unknown>>;
  // the games are read against the run's domain and budget: what cannot be is refused, naming its line
  const checks: GameChecks = { ...(domain ? { domain } : {}), max_questions: rules.max_questions };
  const sampled = { offered: 0, played: 0, perTarget: options.perTarget ?? 2, perPolicy: options.perPolicy ?? 300 };
  // the reference games for the style score, by target (the first key of the reference stage)
  const reference = referenceOf(recorded.stages, dir, metrics);
  const { refs, refTexts, referenceKey } = reference ? await readReference(reference, options.references ?? 20, checks) : { refs: new Map<string, Bag[]>(), refTexts: new Map<string, string[]>(), referenceKey: undefined };
  const ctx: GatherContext = { domain, maxQuestions: rules.max_questions, checks, refs, sampled };
  const stages: StageReport[] = [];
  const toEmbed: Gathering[] = [];
  for (const rs of recorded.stages) {
    const report: StageReport = { name: rs.name, kind: rs.kind, status: rs.status, ...(rs.seconds !== undefined ? { seconds: rs.seconds } : {}), plays: [] };
    stages.push(report);
    const m = metrics[rs.name] as PlayingMetrics | undefined;
    addTraining(report, rs.outputs, dir, m);
    const file = rs.outputs.games ? join(dir, rs.outputs.games) : undefined;
    if (!file || !existsSync(file)) continue;
    const regrets = readRegrets(rs.outputs.regret ? join(dir, rs.outputs.regret) : undefined);
    const plays = await gatherPlays(file, rs.kind, factsByKey(m), { ...ctx, regrets });
    report.plays.push(...plays.map((g) => g.play));
    toEmbed.push(...plays.filter((g) => g.texts.size > 0));
  }
  const settings = recorded.report?.embeddings;
  const embedding =
    settings && reference && toEmbed.length > 0
      ? await embeddingCosines(
          settings,
          toEmbed.map((g) => ({ play: g.play, games: [...g.texts.values()] })),
          refTexts,
        )
      : undefined;
  const gap = evaluationGap(stages, reference ? `${reference.stage}${referenceKey && referenceKey !== '' ? ` (${referenceKey.replace('\t', '@')})` : ''}` : undefined, embedding);
  const names = { noun: domain?.noun ?? 'candidate', plural: domain?.plural ?? 'candidates' };
  return { info, maxQuestions: rules.max_questions, candidates: domain ? domain.candidates.map((c) => c.id) : [], ...names, missing: recorded.missing, stages, ...(gap ? { gap } : {}), sampled };
}

/** The evaluation gap: every evaluated policy's style beside its outcome, and how well one ranks the other. */
export function evaluationGap(stages: readonly StageReport[], reference: string | undefined, embedding?: Pick<EmbeddingGap, 'base_url' | 'model' | 'error' | 'texts'>): EvaluationGap | undefined {
  if (reference === undefined) return undefined;
  const rows: GapRow[] = [];
  for (const s of stages) {
    if (playsOf(s.kind) !== 'evaluation') continue;
    for (const p of s.plays) {
      if (p.style === undefined || !p.metrics) continue;
      rows.push({
        stage: s.name,
        policy: p.policy,
        ...(p.answerer !== undefined ? { answerer: p.answerer } : {}),
        style: p.style,
        ...(p.embedding !== undefined ? { embedding: p.embedding } : {}),
        success: p.metrics.success,
        efficiency: p.metrics.efficiency,
        avg_questions: p.metrics.avg_questions,
      });
    }
  }
  if (rows.length === 0) return undefined;
  const style = rows.map((r) => r.style);
  const eff = rows.map((r) => r.efficiency);
  const rankDesc = (xs: number[]) => {
    const order = xs.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]);
    const out = new Array<number>(xs.length);
    order.forEach(([, i], r) => (out[i] = r + 1));
    return out;
  };
  const [rs, ro] = [rankDesc(style), rankDesc(eff)];
  const disagreements = rows
    .map((r, i) => ({ ...r, style_rank: rs[i]!, outcome_rank: ro[i]! }))
    .sort((a, b) => Math.abs(b.style_rank - b.outcome_rank) - Math.abs(a.style_rank - a.outcome_rank))
    .slice(0, 3);
  let emb: EmbeddingGap | undefined;
  if (embedding) {
    const scored = rows.filter((r) => r.embedding !== undefined);
    emb = { ...embedding };
    if (embedding.error === undefined && scored.length > 0) {
      const e = scored.map((r) => r.embedding!);
      emb.rho_efficiency = spearman(
        e,
        scored.map((r) => r.efficiency),
      );
      emb.rho_success = spearman(
        e,
        scored.map((r) => r.success),
      );
    } else if (embedding.error === undefined) emb.error = 'no evaluated game had a reference game of its target';
  }
  return {
    reference,
    rows,
    rho_efficiency: spearman(style, eff),
    rho_success: spearman(
      style,
      rows.map((r) => r.success),
    ),
    disagreements,
    ...(emb ? { embedding: emb } : {}),
  };
}

/** A game's question texts as one string, as it is embedded. */
export function gameText(questions: readonly string[]): string {
  return questions.join('\n');
}

/**
 * Embeds every distinct evaluated game and every reference game through the endpoint layer, and sets
 * each play's `embedding`: the mean over its games of the best cosine to a reference game of the same
 * target. Returns where the vectors came from, or why they are missing (never throws).
 */
async function embeddingCosines(
  settings: EmbeddingsSettings,
  toEmbed: { play: PlayReport; games: { target: string; text: string; n: number }[] }[],
  refTexts: Map<string, string[]>,
): Promise<Pick<EmbeddingGap, 'base_url' | 'model' | 'error' | 'texts'>> {
  const where = { base_url: settings.base_url, model: settings.model };
  const index = new Map<string, number>();
  const add = (text: string) => {
    if (!index.has(text)) index.set(text, index.size);
  };
  for (const list of refTexts.values()) list.forEach(add);
  for (const { games } of toEmbed) for (const g of games) add(g.text);
  let result;
  try {
    result = await embedTexts(settings, [...index.keys()]);
  } catch (error) {
    result = { ok: false as const, error: (error as Error).message };
  }
  if (!result.ok) return { ...where, error: result.error };
  const vectors = result.vectors;
  const refVectors = new Map([...refTexts].map(([target, list]) => [target, list.map((t) => vectors[index.get(t)!]!)]));
  for (const { play, games } of toEmbed) {
    let sum = 0;
    let n = 0;
    for (const g of games) {
      const refs = refVectors.get(g.target);
      if (!refs || refs.length === 0) continue;
      const v = vectors[index.get(g.text)!]!;
      let best = -Infinity;
      for (const r of refs) best = Math.max(best, cosine(v, r));
      sum += best * g.n;
      n += g.n;
    }
    if (n > 0) play.embedding = sum / n;
  }
  return { ...where, texts: index.size };
}
