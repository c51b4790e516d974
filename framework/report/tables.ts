import { winsOnlyText, type Comparison } from '../metrics/paired.js';
import { fixed, pct } from '../metrics/table.js';
import type { StageBound } from '../run/bound.js';
import type { PlayReport, RunReport } from './data.js';
import { html, type Markup, type Value } from './markup.js';
import { range } from './svg.js';

/** The report's tables: the summary (every column the CLI prints), the per-candidate heatmap, the audit's coverage. */

export const playName = (p: PlayReport): string => `${p.policy}${p.answerer !== undefined ? `@${p.answerer}` : ''}`;
const ci = (c: [number, number] | undefined, f: (x: number) => string) => (c ? range(f(c[0]), f(c[1])) : '-');
const signed = (x: number, text: string) => `${x >= 0 ? '+' : ''}${text}`;

/** A cell's figure, sortable as a number by its data-sort value ("95.6%" and "5.21" sort as numbers). */
export const n = (value: number | null | undefined, text: string): Markup | string => (value === null || value === undefined || Number.isNaN(value) ? '-' : html`<span data-sort="${value}">${text}</span>`);

export interface Column {
  /** Names the column's cells (data-col) for tests and styles. */
  key: string;
  head: string;
  /** Explains the column on hover. */
  title?: string;
}

/** A sortable table; each cell tagged with its column's key. */
export function table(columns: readonly Column[], rows: readonly { cells: Value[]; attrs?: Record<string, string> }[], id: string, cls = ''): Markup {
  const head = columns.map((c) => html`<th data-col="${c.key}" title="${c.title ?? ''}">${c.head}</th>`);
  const body = rows.map((r) => html`<tr${attributes(r.attrs)}>${r.cells.map((cell, i) => html`<td data-col="${columns[i]!.key}">${cell}</td>`)}</tr>`);
  return html`<table class="${['sortable', cls].filter(Boolean).join(' ')}" id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function attributes(attrs: Record<string, string> | undefined): Markup {
  return html`${Object.entries(attrs ?? {}).map(([k, v]) => html` data-${k}="${v}"`)}`;
}

const boundText = (b: StageBound) => (b.proved ? fixed(b.mean, 3) : range(fixed(b.lower, 3), fixed(b.mean, 3)));
/** The game a bound is of: the answerer's semantics, the rule, the targets. */
export const boundGame = (b: StageBound): string => `${b.semantics}, ${b.rule}, ${b.targets} targets`;

function comparisonCells(p: PlayReport): Value[] {
  const c = p.comparison;
  if (!c || p.baseline === undefined) return ['', '', '', '', '', '', ''];
  if ('error' in c) return [p.baseline, html`<span class="bad">${c.error}</span>`, '', '', '', '', ''];
  const k: Comparison = c;
  return [
    p.baseline,
    n(k.pairs, String(k.pairs)),
    n(k.success_diff, signed(k.success_diff, pct(k.success_diff))),
    html`<span data-sort="${k.wins_only_policy - k.wins_only_baseline}">${winsOnlyText(k)}</span>`,
    n(k.mcnemar_p, k.mcnemar_p < 1e-4 ? '<0.0001' : k.mcnemar_p.toFixed(4)),
    n(k.questions_diff, signed(k.questions_diff, fixed(k.questions_diff, 3))),
    ci(k.questions_diff_ci, (x) => fixed(x, 3)),
  ];
}

const COLUMNS: Column[] = [
  { key: 'games', head: 'games' },
  { key: 'distinct', head: 'distinct', title: 'games that differ in target, moves or answers' },
  { key: 'errors', head: 'errors', title: 'failed games (left out of every other figure)' },
  { key: 'success', head: 'success' },
  { key: 'success-ci', head: '95% CI', title: 'clustered by target (Wilson at the effective number of games)' },
  { key: 'avg-q', head: 'avg q', title: 'a lost game counts the whole budget' },
  { key: 'avg-q-ci', head: '95% CI', title: 'cluster-robust, by target' },
  { key: 'avg-q-wins', head: 'avg q (wins)' },
  { key: 'efficiency', head: 'efficiency', title: 'success × (1 − avg q / budget)' },
  { key: 'invalid', head: 'invalid' },
  { key: 'bound', head: 'bound', title: "the exact optimal tree of the game this row played: its answerer's semantics, the rules, its targets (twentyq bounds)" },
  { key: 'bound-game', head: "bound's game (unknown, rule, targets)", title: "what the answerer's unknown means (say: where the table does; coin: a coin toss), the wrong_guess rule, the distinct targets" },
  { key: 'baseline', head: 'baseline', title: 'compared game by game with this policy' },
  { key: 'pairs', head: 'pairs' },
  { key: 'success-diff', head: 'success diff' },
  { key: 'wins-only', head: 'wins only: baseline only' },
  { key: 'mcnemar', head: 'McNemar p', title: 'exact McNemar test over targets (a target counts for the policy that won more of its games)' },
  { key: 'avg-q-diff', head: 'avg q diff' },
  { key: 'avg-q-diff-ci', head: '95% CI', title: 'paired bootstrap over targets' },
];

/** The summary's columns: the run's when runs are side by side, the answerer's when a stage played against several. */
export function summaryColumns(runs: readonly RunReport[], withRun: boolean): Column[] {
  const answerers = runs.some((r) => r.stages.some((s) => s.plays.some((p) => p.metrics && p.answerer !== undefined)));
  return [...(withRun ? [{ key: 'run', head: 'run' }] : []), { key: 'stage', head: 'stage' }, { key: 'policy', head: 'policy' }, ...(answerers ? [{ key: 'answerer', head: 'answerer' }] : []), ...COLUMNS];
}

/** A row per play with figures: the CLI's summary table, its bound, and its comparison with the stage's baseline. */
export function summaryRows(run: RunReport, columns: readonly Column[]): { cells: Value[]; attrs: Record<string, string> }[] {
  const withRun = columns[0]!.key === 'run';
  const withAnswerer = columns.some((c) => c.key === 'answerer');
  return run.stages.flatMap((s) =>
    s.plays.flatMap((p) => {
      const m = p.metrics;
      if (!m) return [];
      const c = m.clustered;
      const cells: Value[] = [
        ...(withRun ? [run.info.record?.run_id ?? run.info.dir] : []),
        s.name,
        p.policy,
        ...(withAnswerer ? [p.answerer ?? '-'] : []),
        n(m.games, String(m.games)),
        c ? n(c.distinct_games, String(c.distinct_games)) : '-',
        n(m.errors, String(m.errors)),
        n(m.success, pct(m.success)),
        ci(c?.success_ci ?? m.success_ci, (x) => pct(x)),
        n(m.avg_questions, fixed(m.avg_questions)),
        ci(c?.avg_questions_ci, (x) => fixed(x)),
        n(m.avg_questions_wins, fixed(m.avg_questions_wins)),
        n(m.efficiency, fixed(m.efficiency, 3)),
        n(m.invalid_rate, pct(m.invalid_rate)),
        p.bound ? n(p.bound.mean, boundText(p.bound)) : '-',
        p.bound ? boundGame(p.bound) : p.unknowns === 'vague' ? 'none (vague)' : '-',
        ...comparisonCells(p),
      ];
      return [{ cells, attrs: { stage: s.name, policy: p.policy, ...(p.answerer !== undefined ? { answerer: p.answerer } : {}) } }];
    }),
  );
}

/** A cell shaded by how bad its figure is, 0 (none) to 1 (worst): the heatmap's colour, its figure as text. */
function shaded(value: number, text: string, badness: number, hue: 'fail' | 'long'): Markup {
  const alpha = (Math.max(0, Math.min(1, badness)) * 0.75).toFixed(3);
  const rgb = hue === 'fail' ? '185,28,28' : '37,99,235';
  return html`<span class="heat ${hue}" data-sort="${value}" data-shade="${alpha}" style="background:rgba(${rgb},${alpha})">${text}</span>`;
}

/** Candidates × plays: success shaded by failures and mean questions by how long beyond the table's shortest, so the hard ones are seen. */
export function perCandidate(run: RunReport, id: string): Markup | '' {
  const plays = run.stages.flatMap((s) => s.plays.filter((p) => p.metrics?.per_candidate).map((p) => ({ s, p })));
  if (plays.length === 0) return '';
  const animals = run.candidates.length > 0 ? run.candidates : [...new Set(plays.flatMap(({ p }) => Object.keys(p.metrics!.per_candidate)))];
  const all = plays.flatMap(({ p }) => Object.values(p.metrics!.per_candidate).map((c) => c.avg_questions)).filter(Number.isFinite);
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const columns: Column[] = [
    { key: 'candidate', head: run.noun },
    ...plays.flatMap(({ s, p }) => [
      { key: 'success', head: `${s.name}/${playName(p)} success` },
      { key: 'avg-q', head: 'avg q' },
    ]),
  ];
  const rows = animals.map((a) => ({
    cells: [
      a,
      ...plays.flatMap(({ p }): Value[] => {
        const c = p.metrics!.per_candidate[a];
        if (!c || c.games === 0) return ['-', '-'];
        const rate = c.wins / c.games;
        return [shaded(rate, pct(rate, 0), 1 - rate, 'fail'), shaded(c.avg_questions, fixed(c.avg_questions, 1), hi > lo ? (c.avg_questions - lo) / (hi - lo) : 0, 'long')];
      }),
    ],
  }));
  return html`<h3>Per ${run.noun}</h3><p class="note">A heatmap: red where a policy fails on the ${run.noun} (the darker, the more games lost), blue where it needs many questions (from ${fixed(lo, 1)}, white, to ${fixed(hi, 1)}, darkest). Click a column to sort (a policy's failures first by its success column).</p><div class="scroll fixed-first">${table(columns, rows, `${id}-animals`, 'heatmap')}</div>`;
}

export function audits(run: RunReport, id: string): Markup[] {
  return run.stages
    .filter((s) => s.audit)
    .map((s) => {
      const a = s.audit!;
      const covered = a.filter((x) => x.wins > 0).length;
      const columns: Column[] = [run.noun, 'games', 'wins', 'win rate', 'fewest q', 'median q', 'contradictions'].map((head) => ({ key: head.replace(/ /g, '-'), head }));
      const rows = a.map((x) => ({
        cells: [
          x.target,
          n(x.games, String(x.games)),
          n(x.wins, String(x.wins)),
          x.wins === 0 ? html`<span data-sort="${x.win_rate}" class="bad">${pct(x.win_rate, 0)}</span>` : n(x.win_rate, pct(x.win_rate, 0)),
          n(x.fewest, String(x.fewest ?? '-')),
          n(x.median, String(x.median ?? '-')),
          n(x.contradictions, String(x.contradictions)),
        ],
      }));
      return html`<h3>Audit ${s.name}: coverage</h3><p>${covered} of ${a.length} ${run.plural} have a winning game.</p><div class="scroll short fixed-first">${table(columns, rows, `${id}-audit-${s.name}`)}</div>`;
    });
}
