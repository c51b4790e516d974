import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from '../config/types.js';
import { readGames } from '../data/games.js';
import type { GameChecks } from '../data/checks.js';
import { Belief } from '../game/belief.js';
import type { Domain } from '../game/domain.js';
import type { Trajectory, UnknownAnswers } from '../game/types.js';
import type { OutcomeMetrics } from '../metrics/outcome.js';
import type { Comparison } from '../metrics/paired.js';
import { PluginFactory } from '../plugins/factory.js';
import type { PluginRef } from '../plugins/types.js';
import type { StageBound } from '../run/bound.js';
import { readRunConfig, RunFileError } from '../run/rundir.js';
import type { StageFiles } from '../stages/define.js';
import { playKey } from '../stages/play.js';
import { stageAnswerers, stageDef, stageFiles, type Stage } from '../stages/index.js';
import { readRun, type RunInfo } from './runs.js';
import { cosine } from '../llm/embed.js';
import { embedTexts } from '../llm/layer.js';
import { bagOf, spearman, styleScore, type Bag } from './style.js';

/** Everything a report shows of one run, aggregated here so that the page carries figures, not games. */
export interface RunReport {
  info: RunInfo;
  maxQuestions: number;
  candidates: string[];
  /** What the domain calls a candidate, and its plural ("animal", "animals"). */
  noun: string;
  plural: string;
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
  metrics?: OutcomeMetrics;
  comparison?: Comparison | { error: string };
  /** counts[q]: games won with q questions; lost: games lost. */
  counts: number[];
  lost: number;
  errors: number;
  /** Mean style score of its games against the reference (the expert's games of the same target). */
  style?: number;
  /** Mean embedding cosine of its games against the reference (best reference game of the same target), when an embeddings endpoint is named. */
  embedding?: number;
  games: ViewerGame[];
}

export interface StageReport {
  name: string;
  kind: string;
  status: string;
  seconds?: number;
  bound?: StageBound;
  baseline?: string;
  plays: PlayReport[];
  /** A training stage's curve: its lines, in order. */
  curve?: Record<string, unknown>[];
  /** An audit's per-animal coverage. */
  audit?: { target: string; games: number; wins: number; win_rate: number; fewest: number | null; median: number | null; contradictions: number }[];
  auditSummary?: Record<string, unknown>;
}

export interface ViewerTurn {
  kind: string;
  text: string;
  answer?: string;
  /** Candidates consistent with the answers after this turn, and the bits the turn gained. */
  left?: number;
  bits?: number;
  raw?: string;
  reason?: string;
  tokens?: number;
  answer_raw?: string;
}

export interface ViewerGame {
  game: number;
  target: string;
  outcome: string;
  questions: number;
  invalid: number;
  reward?: number;
  error?: string;
  turns: ViewerTurn[];
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
  policies?: Record<string, OutcomeMetrics>;
  bound?: StageBound;
  baseline?: string;
  comparisons?: Record<string, Comparison | { error: string }>;
  answerers?: Record<string, PlayingMetrics>;
}

function questionTexts(t: Trajectory): string[] {
  return t.turns.filter((turn) => turn.move.kind === 'question').map((turn) => turn.move.text);
}

/** The turns of a game as the viewer shows them, with the candidates left after each (when the domain has a truth table). */
export function viewerGame(t: Trajectory, domain: Domain | undefined, threeWay: boolean): ViewerGame {
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
    if (turn.answer_raw !== undefined) out.answer_raw = turn.answer_raw;
    return out;
  });
  return { game: t.game, target: t.target, outcome: t.outcome, questions: t.questions, invalid: t.invalid, ...(t.reward !== undefined ? { reward: t.reward } : {}), ...(t.error ? { error: t.error } : {}), turns };
}

/** The answerers a stage's games were played against, by label. */
function answerersOf(stage: Stage | undefined): Map<string, PluginRef> {
  return new Map((stage ? stageAnswerers(stage) : []).map((a) => [a.label, a]));
}

/** What a stage's games are (see StageDef.plays), from its kind; nothing for a kind this version does not know. */
function playsOf(kind: string): 'data' | 'evaluation' | undefined {
  return stageDef(kind)?.plays;
}

async function loadContext(dir: string): Promise<{ experiment?: Experiment; factory?: PluginFactory }> {
  if (!existsSync(join(dir, 'config.yaml'))) return {};
  try {
    const experiment = await readRunConfig(dir);
    const factory = await PluginFactory.forDomain(experiment.domain, experiment.game, experiment.baseDir);
    return { experiment, factory };
  } catch {
    // a config that no longer loads (a plugin file moved): the report shows what the files hold, without candidates left
    return {};
  }
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

/**
 * The reference of the style score: the first generate stage's games (the demonstrations policies learn
 * from), else the baseline policy of the first evaluate stage that names one of its own; none otherwise.
 */
function referenceOf(stages: { name: string; kind: string }[], dir: string, metrics: Record<string, { baseline?: unknown } | undefined>): { stage: string; file: string; key?: string } | undefined {
  const gamesOf = (s: { name: string; kind: string }) => join(dir, stageFiles(s).games ?? '');
  const gen = stages.find((s) => playsOf(s.kind) === 'data' && existsSync(gamesOf(s)));
  if (gen) return { stage: gen.name, file: gamesOf(gen) };
  const ev = stages.find((s) => playsOf(s.kind) === 'evaluation' && typeof metrics[s.name]?.baseline === 'string' && !(metrics[s.name]!.baseline as string).includes('/'));
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

/** A playing stage's metrics per play key: an evaluate stage's policies (per answerer when several); a generate stage's single teacher. */
function metricsByKey(m: PlayingMetrics | undefined, report: StageReport): Map<string, { metrics?: OutcomeMetrics; comparison?: PlayReport['comparison'] }> {
  const byKey = new Map<string, { metrics?: OutcomeMetrics; comparison?: PlayReport['comparison'] }>();
  if (m?.answerers) {
    for (const [a, am] of Object.entries(m.answerers)) for (const [p, pm] of Object.entries(am.policies ?? {})) byKey.set(playKey({ policy: p, answerer: a }), { metrics: pm, ...(am.comparisons?.[p] ? { comparison: am.comparisons[p] } : {}) });
    report.bound = Object.values(m.answerers)[0]?.bound as StageBound;
  } else if (m?.policies) {
    for (const [p, pm] of Object.entries(m.policies)) byKey.set(p, { metrics: pm, ...(m.comparisons?.[p] ? { comparison: m.comparisons[p] } : {}) });
    if (m.bound) report.bound = m.bound;
    if (m.baseline) report.baseline = m.baseline;
  } else if (m && typeof (m as { games?: unknown }).games === 'number') {
    byKey.set('', { metrics: m as unknown as OutcomeMetrics });
  }
  return byKey;
}

/** Whether each answerer's "unknown" splits the candidates three ways (the viewer's candidates left), asked of the answerer once. */
function threeWayAnswerers(answerers: Map<string, PluginRef>, factory: PluginFactory | undefined): (label: string | undefined) => Promise<boolean> {
  const threeWayOf = new Map<string, boolean>();
  return async (label: string | undefined): Promise<boolean> => {
    const ref = label !== undefined ? answerers.get(label) : [...answerers.values()][0];
    const k = label ?? '';
    if (!threeWayOf.has(k)) {
      let unknowns: UnknownAnswers | undefined;
      try {
        unknowns = ref && factory ? (await factory.create('answerer', ref)).unknowns : undefined;
      } catch {
        unknowns = undefined;
      }
      threeWayOf.set(k, unknowns === 'say');
    }
    return threeWayOf.get(k)!;
  };
}

/** Reads a run directory and aggregates what its report shows: games files are streamed once each. */
export async function gatherRun(dir: string, options: ReportOptions = {}): Promise<RunReport> {
  const perTarget = options.perTarget ?? 2;
  const perPolicy = options.perPolicy ?? 300;
  const maxRefs = options.references ?? 20;
  const info = readRun(dir);
  if (info.unreadable) throw new RunFileError(info.unreadable.problem);
  const { experiment, factory } = await loadContext(dir);
  const domain = factory?.domain;
  const maxQuestions = experiment?.game.max_questions ?? 20;
  // the games are read against the run's domain and budget: what cannot be is refused, naming its line
  const checks: GameChecks = { ...(domain ? { domain } : {}), max_questions: maxQuestions };
  const recordStages = info.record?.stages ?? experiment?.stages.map((s) => ({ name: s.name, kind: s.kind, status: 'pending', files: [] as string[] })) ?? [];
  const metrics = (info.metrics?.stages ?? {}) as Record<string, Record<string, unknown>>;
  const sampled = { offered: 0, played: 0, perTarget, perPolicy };
  // the reference games for the style score, by target (the first key of the reference stage)
  const reference = referenceOf(recordStages, dir, metrics);
  const { refs, refTexts, referenceKey } = reference ? await readReference(reference, maxRefs, checks) : { refs: new Map<string, Bag[]>(), refTexts: new Map<string, string[]>(), referenceKey: undefined };
  const stages: StageReport[] = [];
  // each evaluated policy's distinct games (target and question text, with how often it was played), for the embedding cosine
  const toEmbed: { play: PlayReport; games: { target: string; text: string; n: number }[] }[] = [];
  for (const rs of recordStages) {
    const stage = experiment?.stages.find((s) => s.name === rs.name);
    const report: StageReport = { name: rs.name, kind: rs.kind, status: rs.status, ...(('seconds' in rs && rs.seconds !== undefined) ? { seconds: rs.seconds } : {}), plays: [] };
    stages.push(report);
    const m = metrics[rs.name] as PlayingMetrics | undefined;
    const files = stageFiles(rs);
    addTraining(report, files, dir, m);
    if (!files.games) continue;
    const file = join(dir, files.games);
    const byKey = metricsByKey(m, report);
    if (!existsSync(file)) continue;
    const answerers = answerersOf(stage);
    const threeWay = threeWayAnswerers(answerers, factory);
    const plays = new Map<string, PlayReport & { styleSum: number; styleN: number; perTargetSeen: Map<string, number>; cache: Map<string, number | undefined>; texts: Map<string, { target: string; text: string; n: number }> }>();
    for await (const t of readGames(file, checks)) {
      const key = playKey(t);
      let play = plays.get(key);
      if (!play) {
        const known = byKey.get(key) ?? (byKey.size === 1 && byKey.has('') ? byKey.get('') : undefined);
        play = { key, policy: t.policy, ...(t.answerer !== undefined ? { answerer: t.answerer } : {}), ...(known?.metrics ? { metrics: known.metrics } : {}), ...(known?.comparison ? { comparison: known.comparison } : {}), counts: new Array<number>(maxQuestions + 1).fill(0), lost: 0, errors: 0, games: [], styleSum: 0, styleN: 0, perTargetSeen: new Map(), cache: new Map(), texts: new Map() };
        plays.set(key, play);
      }
      sampled.played++;
      if (t.outcome === 'error') play.errors++;
      else if (t.outcome === 'win') play.counts[Math.min(t.questions, maxQuestions)]!++;
      else play.lost++;
      if (playsOf(rs.kind) === 'evaluation' && t.outcome !== 'error') {
        // deterministic policies repeat their games: the score of a sequence of questions is computed once per target
        const texts = questionTexts(t);
        const cacheKey = `${t.target}\u0000${texts.join('\u0001')}`;
        if (!play.cache.has(cacheKey)) play.cache.set(cacheKey, styleScore(bagOf(texts), refs.get(t.target) ?? []));
        const s = play.cache.get(cacheKey);
        if (s !== undefined) {
          play.styleSum += s;
          play.styleN++;
          const seenText = play.texts.get(cacheKey);
          if (seenText) seenText.n++;
          else play.texts.set(cacheKey, { target: t.target, text: gameText(texts), n: 1 });
        }
      }
      const seen = play.perTargetSeen.get(t.target) ?? 0;
      if (seen < perTarget && play.games.length < perPolicy) {
        play.perTargetSeen.set(t.target, seen + 1);
        play.games.push(viewerGame(t, domain, await threeWay(t.answerer)));
        sampled.offered++;
      }
    }
    for (const p of plays.values()) {
      const { styleSum, styleN, perTargetSeen: _s, cache: _c, texts, ...rest } = p;
      const play: PlayReport = { ...rest, ...(styleN > 0 ? { style: styleSum / styleN } : {}) };
      report.plays.push(play);
      if (texts.size > 0) toEmbed.push({ play, games: [...texts.values()] });
    }
  }

  const settings = experiment?.report?.embeddings;
  const embedding = settings && reference && toEmbed.length > 0 ? await embeddingCosines(settings, toEmbed, refTexts) : undefined;

  const gap = evaluationGap(stages, reference ? `${reference.stage}${referenceKey && referenceKey !== '' ? ` (${referenceKey.replace('\t', '@')})` : ''}` : undefined, embedding);
  const names = { noun: domain?.noun ?? 'candidate', plural: domain?.plural ?? 'candidates' };
  return { info, maxQuestions, candidates: domain ? domain.candidates.map((c) => c.id) : [], ...names, stages, ...(gap ? { gap } : {}), sampled };
}

/** The evaluation gap: every evaluated policy's style beside its outcome, and how well one ranks the other. */
export function evaluationGap(stages: readonly StageReport[], reference: string | undefined, embedding?: Pick<EmbeddingGap, 'base_url' | 'model' | 'error' | 'texts'>): EvaluationGap | undefined {
  if (reference === undefined) return undefined;
  const rows: GapRow[] = [];
  for (const s of stages) {
    if (playsOf(s.kind) !== 'evaluation') continue;
    for (const p of s.plays) {
      if (p.style === undefined || !p.metrics) continue;
      rows.push({ stage: s.name, policy: p.policy, ...(p.answerer !== undefined ? { answerer: p.answerer } : {}), style: p.style, ...(p.embedding !== undefined ? { embedding: p.embedding } : {}), success: p.metrics.success, efficiency: p.metrics.efficiency, avg_questions: p.metrics.avg_questions });
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
      emb.rho_efficiency = spearman(e, scored.map((r) => r.efficiency));
      emb.rho_success = spearman(e, scored.map((r) => r.success));
    } else if (embedding.error === undefined) emb.error = 'no evaluated game had a reference game of its target';
  }
  return { reference, rows, rho_efficiency: spearman(style, eff), rho_success: spearman(style, rows.map((r) => r.success)), disagreements, ...(emb ? { embedding: emb } : {}) };
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
  settings: NonNullable<NonNullable<Experiment['report']>['embeddings']>,
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
