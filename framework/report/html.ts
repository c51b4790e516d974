import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixed, pct } from '../metrics/table.js';
import type { StageBound } from '../run/bound.js';
import { duration, formatDuration } from './runs.js';
import type { PlayReport, RunReport, StageReport } from './data.js';
import { html, raw, scriptJson, type Markup } from './markup.js';
import type { ViewerData } from './page/games.js';
import { STYLE } from './css.js';
import { barChart, barTop, histogram, legend, lineChart, Palette, type BarChartSpec } from './svg.js';
import { showAlarmFigures } from '../stages/alarms.js';
import { audits, n, perCandidate, playName, summaryColumns, summaryRows, table } from './tables.js';

/** The report page: static HTML and SVG, the game viewer's sampled games as inline JSON, one inline script compiled from page/viewer.ts. */

type Groups = BarChartSpec['groups'];

/** A stage's plays with figures, grouped by answerer: one group of bars each. */
function outcomeGroups(run: RunReport, f: (p: PlayReport) => { value: number; ci?: [number, number] }): Groups {
  return run.stages.flatMap((s) => {
    const byAnswerer = new Map<string, PlayReport[]>();
    for (const p of s.plays) if (p.metrics) byAnswerer.set(p.answerer ?? '', [...(byAnswerer.get(p.answerer ?? '') ?? []), p]);
    return [...byAnswerer].map(([a, plays]) => ({ label: a ? `${s.name} (${a})` : s.name, bars: plays.map((p) => ({ label: p.policy, ...f(p) })) }));
  });
}

/** A reference line per distinct bound of the run's plays, named by the game it is of and the answerers that played it. */
function boundLines(run: RunReport): { value: number; label: string }[] {
  const lines = new Map<string, { bound: StageBound; answerers: Set<string> }>();
  for (const s of run.stages) {
    for (const p of s.plays) {
      if (!p.bound || !p.metrics) continue;
      const key = `${p.bound.semantics}|${p.bound.rule}|${p.bound.mean}`;
      const line = lines.get(key) ?? { bound: p.bound, answerers: new Set<string>() };
      if (p.answerer !== undefined) line.answerers.add(p.answerer);
      lines.set(key, line);
    }
  }
  return [...lines.values()].map(({ bound, answerers }) => ({ value: bound.mean, label: `bound, unknown: ${bound.semantics}${answerers.size > 0 ? ` (${[...answerers].join(', ')})` : ''}` }));
}

const questionGroups = (run: RunReport) => outcomeGroups(run, (p) => ({ value: p.metrics!.avg_questions, ...(p.metrics!.clustered ? { ci: p.metrics!.clustered.avg_questions_ci } : {}) }));

/** The top of the questions axis that every run's chart shares when runs are side by side. */
export function sharedQuestionsTop(runs: readonly RunReport[]): number {
  return Math.max(...runs.map((r) => barTop(questionGroups(r), boundLines(r))));
}

function outcomeCharts(run: RunReport, id: string, colours: Palette, questionsTop?: number): Markup | '' {
  const success = outcomeGroups(run, (p) => ({ value: p.metrics!.success, ci: p.metrics!.clustered?.success_ci ?? p.metrics!.success_ci }));
  if (success.length === 0) return '';
  const policies = [...new Set(success.flatMap((g) => g.bars.map((b) => b.label)))];
  const charts = [
    barChart({ id: `${id}-success`, title: 'Success by stage and policy (95% CI clustered by target)', yLabel: 'success', yMax: 1, format: (x) => `${Math.round(x * 100)}%`, groups: success, colours }),
    barChart({
      id: `${id}-questions`,
      title: "Mean questions by stage and policy (95% CI), each game's exact bound as a line",
      yLabel: 'mean questions (a loss counts the budget)',
      groups: questionGroups(run),
      references: boundLines(run),
      colours,
      ...(questionsTop !== undefined ? { yMax: questionsTop } : {}),
    }),
  ];
  return html`<h3>Outcome</h3>${legend(policies, colours)}<div class="charts">${charts}</div>`;
}

/** A training stage's curve: a chart per figure that changes, and the figures that do not as values. */
function curveCharts(s: StageReport, id: string): Markup {
  const lines = s.curve ?? [];
  if (lines.length === 0) return html`<p class="note">no curve file</p>`;
  const xField = lines.some((l) => typeof l.iteration === 'number') ? 'iteration' : 'epoch';
  const fields = [...new Set(lines.flatMap((l) => Object.keys(l)))].filter((f) => f !== xField && f !== 'stage' && lines.some((l) => typeof l[f] === 'number'));
  const valuesOf = (f: string) => lines.filter((l) => typeof l[f] === 'number').map((l) => l[f] as number);
  // a figure logged once (the dataset's counts) or never changing (a step count) is a value, not a curve
  const plotted = fields.filter((f) => new Set(valuesOf(f)).size > 1);
  const charts = plotted.map((f) =>
    lineChart({
      id: `${id}-${s.name}-curve-${f}`,
      title: `${s.name}: ${f}`,
      xLabel: xField,
      yLabel: f,
      series: [{ name: f, points: lines.filter((l) => typeof l[f] === 'number' && typeof l[xField] === 'number').map((l) => [l[xField] as number, l[f] as number]) }],
    }),
  );
  const facts = fields
    .filter((f) => !plotted.includes(f))
    .map((f) => {
      const values = valuesOf(f);
      return html`<span class="fact" data-field="${f}">${f} <b>${String(values[0])}</b>${values.length > 1 ? ` (every one of ${values.length} lines)` : ''}</span>`;
    });
  return html`<div class="charts" data-curve="${s.name}" data-lines="${lines.length}">${charts}</div>${facts.length > 0 ? html`<p class="note facts">${facts.map((f, i) => html`${i > 0 ? ', ' : ''}${f}`)}</p>` : ''}`;
}

/**
 * The exact regret of the moves of the stages played against kb: mean per game by stage and policy,
 * regret by turn (a line per policy), and the questions that cost each policy most in all.
 */
function regretSection(run: RunReport, id: string, colours: Palette): Markup | '' {
  const stages = run.stages.map((s) => ({ s, plays: s.plays.filter((p) => p.regret && p.regret.games > 0) })).filter((x) => x.plays.length > 0);
  if (stages.length === 0) return '';
  const groups = outcomeGroups(run, (p) => ({ value: p.regret?.mean_regret ?? NaN }))
    .map((g) => ({ ...g, bars: g.bars.filter((b) => !Number.isNaN(b.value)) }))
    .filter((g) => g.bars.length > 0);
  const perGame = barChart({ id: `${id}-regret`, title: 'Mean regret per game (expected questions lost to the best moves)', yLabel: 'regret per game', groups, colours, format: (x) => x.toFixed(2) });
  const byStage = stages.map(({ s, plays }) => {
    const chart = lineChart({
      id: `${id}-${s.name}-regret-by-turn`,
      title: `${s.name}: mean regret of the move at each turn`,
      xLabel: 'turn',
      yLabel: 'regret',
      series: plays.map((p) => ({ name: playName(p), colour: colours.of(p.policy), points: p.regret!.by_turn.map((r, i): [number, number] => [i + 1, r]) })),
    });
    const rows = plays.flatMap((p) =>
      p
        .regret!.costliest.slice(0, 5)
        .map((c) => ({ cells: [playName(p), c.move, n(c.total, c.total.toFixed(2)), n(c.times, String(c.times)), n(c.mean, c.mean.toFixed(3)), n(c.total / p.regret!.games, (c.total / p.regret!.games).toFixed(3))] })),
    );
    const columns = [
      { key: 'policy', head: 'policy' },
      { key: 'move', head: 'question' },
      { key: 'total', head: 'regret in all', title: 'summed over every time it was asked' },
      { key: 'times', head: 'times asked' },
      { key: 'mean', head: 'regret each time' },
      { key: 'per-game', head: 'share of a game', title: 'regret in all / games played: what this question adds to the mean regret per game' },
    ];
    const costly = rows.length > 0 ? html`<p class="note">The questions that cost most in all (five per policy):</p>${table(columns, rows, `${id}-${s.name}-costliest`)}` : html`<p class="note">Every move of these games was optimal.</p>`;
    return html`<h4>${s.name}</h4><div class="charts">${chart}</div>${legend(
      plays.map((p) => p.policy),
      colours,
    )}${costly}`;
  });
  return html`<h3>Regret</h3><p class="note">A move's regret: the expected number of questions it lost against the best move from the candidates the answers so far left, from the exact tree (0 for every move of an optimal player); a game's regret is the sum over its moves. Computed for games against an answerer that answers from the truth table alone (kb).</p><div class="charts">${perGame}</div>${byStage}`;
}

/** A GRPO stage's alarm figures (zero-spread groups, cut games, ...) and the alarms that fired. */
function alarmNote(s: StageReport): Markup | '' {
  if (!s.grpo) return '';
  const fired = s.grpo.alarms.map((a) => html`<p class="bad alarm" data-kind="${a.kind}">warning: ${a.message}</p>`);
  return html`<p class="note grpo" data-alarms="${s.grpo.alarms.length}">GRPO: ${showAlarmFigures(s.grpo)}</p>${fired}`;
}

function histograms(s: StageReport, run: RunReport, id: string, colours: Palette): Markup[] {
  const byAnswerer = new Map<string, PlayReport[]>();
  for (const p of s.plays) byAnswerer.set(p.answerer ?? '', [...(byAnswerer.get(p.answerer ?? '') ?? []), p]);
  return [...byAnswerer].map(
    ([a, plays], i) =>
      html`${histogram({ id: `${id}-hist-${i}`, title: `${s.name}${a ? ` against ${a}` : ''}: questions per game`, maxQuestions: run.maxQuestions, series: plays.map((p) => ({ name: p.policy, counts: p.counts, lost: p.lost })), colours })}${legend(
        plays.map((p) => p.policy),
        colours,
      )}`,
  );
}

const rho = (x: number) => (Number.isNaN(x) ? 'undefined' : x.toFixed(3));

function embeddingNote(run: RunReport, id: string): Markup | '' {
  const e = run.gap?.embedding;
  if (!e) return '';
  if (e.error !== undefined) return html`<p class="bad" id="${id}-emb">The embedding cosine is missing: ${e.error} (embeddings endpoint ${e.base_url}, model ${e.model}).</p>`;
  return html`<p class="rho" id="${id}-emb">Embedding cosine: the cosine similarity of the embedding of a game's question texts (one string per game) to the reference games of the same target (the best of them), averaged over the policy's games; embeddings from ${e.model} at ${e.base_url}/embeddings (${e.texts ?? 0} distinct texts). Spearman rank correlation, embedding cosine vs efficiency: <b id="${id}-rho-emb">${rho(e.rho_efficiency ?? NaN)}</b>; vs success: ${rho(e.rho_success ?? NaN)}.</p>`;
}

function gapSection(run: RunReport, id: string): Markup | '' {
  const g = run.gap;
  if (!g) return '';
  const withEmb = g.embedding !== undefined && g.embedding.error === undefined;
  const num = (v: number, t: string) => html`<span data-sort="${v}">${t}</span>`;
  const columns = ['stage', 'policy', 'style (token F1)', ...(withEmb ? ['embedding cosine'] : []), 'success', 'avg q', 'efficiency'].map((head) => ({ key: head.split(' ')[0]!, head }));
  const rows = g.rows.map((r) => ({
    cells: [
      r.stage,
      r.policy + (r.answerer ? `@${r.answerer}` : ''),
      num(r.style, r.style.toFixed(3)),
      ...(withEmb ? [r.embedding === undefined ? html`<span data-sort="-2">-</span>` : html`<span data-sort="${r.embedding}" class="emb">${r.embedding.toFixed(3)}</span>`] : []),
      num(r.success, pct(r.success)),
      num(r.avg_questions, fixed(r.avg_questions)),
      num(r.efficiency, fixed(r.efficiency, 3)),
    ],
  }));
  const best = [...g.rows].sort((a, b) => b.efficiency - a.efficiency)[0]!;
  const styleRank = [...g.rows].sort((a, b) => b.style - a.style).indexOf(best) + 1;
  const dis = g.disagreements.map((d) => html`<li>${d.stage}/${d.policy}${d.answerer ? `@${d.answerer}` : ''}: style rank ${d.style_rank}, outcome rank ${d.outcome_rank} of ${g.rows.length}</li>`);
  return html`<h3>The evaluation gap</h3>
<p>Style: token F1 of a game's question texts against the reference games of the same target (the best over up to 20 of them), averaged over the policy's games; reference: ${g.reference}. Outcome: success and efficiency (success × (1 − avg q / budget)).</p>
${table(columns, rows, `${id}-gap`)}
${embeddingNote(run, id)}
<p class="rho">Spearman rank correlation, style vs efficiency: <b id="${id}-rho">${rho(g.rho_efficiency)}</b>; style vs success: ${rho(g.rho_success)} (over ${g.rows.length} policies and stages). Would a style metric have picked the right model? The most efficient policy ranks ${styleRank} of ${g.rows.length} by style (${best.stage}/${best.policy}).</p>
<p>Where they disagree most:</p><ul>${dis}</ul>`;
}

function viewer(run: RunReport, id: string): Markup | '' {
  const data: ViewerData = {};
  for (const s of run.stages) for (const p of s.plays) if (p.games.length > 0) (data[s.name] ??= {})[playName(p)] = p.games;
  if (Object.keys(data).length === 0) return '';
  return html`<h3>Game viewer</h3><p class="note">${run.sampled.offered} of ${run.sampled.played} games offered (at most ${run.sampled.perTarget} per policy and ${run.noun}, ${run.sampled.perPolicy} per policy).</p>
<div class="viewer" data-run="${id}"><label>stage <select class="v-stage"></select></label> <label>policy <select class="v-policy"></select></label> <label>${run.noun} <select class="v-target"></select></label> <label>game <select class="v-game"></select></label><div class="v-out"></div></div>
<script type="application/json" id="${id}-games">${scriptJson(data)}</script>`;
}

function runHead(run: RunReport): Markup {
  const rec = run.info.record;
  if (!rec) return html`${run.info.dir}: no run.json`;
  return html`${rec.experiment} ${rec.run_id}: <b class="status-${rec.status}">${rec.status}</b>, started ${rec.started}, ${formatDuration(duration(rec))}, ${rec.workers} workers${rec.error ? html`<br><span class="bad">error: ${rec.error}</span>` : ''}`;
}

function runSection(run: RunReport, index: number, colours: Palette): Markup {
  const id = `run${index}`;
  const stages = run.stages.map((s) => html`<span class="stage st-${s.status}">${s.name} (${s.kind}) ${s.status}${s.seconds !== undefined ? ` ${formatDuration(s.seconds)}` : ''}</span> `);
  const columns = summaryColumns([run], false);
  const rows = summaryRows(run, columns);
  const training = run.stages.filter((s) => s.curve !== undefined).map((s) => html`<h4>${s.name}</h4>${alarmNote(s)}${curveCharts(s, id)}`);
  const hists = run.stages.filter((s) => s.plays.length > 0).flatMap((s) => histograms(s, run, `${id}-${s.name}`, colours));
  return html`<section class="run" id="${id}"><h2>${runHead(run)}</h2><p class="stages">${stages}</p><p class="dir">${run.info.dir}</p>
${[...run.info.problems, ...run.missing].map((p) => html`<p class="bad">${p}</p>`)}
<h3>Summary</h3>${rows.length > 0 ? html`<div class="scroll fixed-first">${table(columns, rows, `${id}-summary`, 'summary')}</div>` : html`<p class="note">no evaluated policy yet</p>`}
${outcomeCharts(run, id, colours)}
${training.length > 0 ? html`<h3>Training curves</h3>${training}` : ''}
${hists.length > 0 ? html`<h3>Questions per game</h3><div class="charts">${hists}</div>` : ''}
${regretSection(run, id, colours)}
${gapSection(run, id)}
${perCandidate(run, id)}
${audits(run, id)}
${viewer(run, id)}
${run.info.summary ? html`<details><summary>summary.txt</summary><pre>${run.info.summary}</pre></details>` : ''}
</section>`;
}

/**
 * The page's script (table sorting, the game viewer), compiled by tsc from page/viewer.ts. Beside this
 * module once built; when this module runs from its TypeScript source (the tests), in the build's dist/.
 */
function pageScript(): Markup {
  const candidates = [new URL('./page/viewer.js', import.meta.url), new URL('../../dist/framework/report/page/viewer.js', import.meta.url)];
  const file = candidates.map((u) => fileURLToPath(u)).find((f) => existsSync(f));
  if (!file) throw new Error(`the report's page script is not built (${fileURLToPath(candidates[0]!)}): run npm run build`);
  // twentyq's own compiled code; "</script" cannot occur in it unescaped (tsc keeps string escapes as written)
  return raw(readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script'));
}

/** The whole page for one or several runs; several are compared in one table first, with shared axes, then shown one after another. */
export function renderReport(runs: readonly RunReport[]): string {
  const title = runs.length === 1 ? `twentyq report: ${runs[0]!.info.record?.experiment ?? ''} ${runs[0]!.info.record?.run_id ?? runs[0]!.info.dir}` : `twentyq report: ${runs.length} runs`;
  const colours = new Palette();
  let compared: Markup | '' = '';
  if (runs.length > 1) {
    const columns = summaryColumns(runs, true);
    const top = sharedQuestionsTop(runs);
    compared = html`<section><h2>Runs side by side</h2><div class="scroll fixed-first">${table(
      columns,
      runs.flatMap((r) => summaryRows(r, columns)),
      'compare-summary',
      'summary',
    )}</div><div class="side">${runs.map((r, i) => html`<div>${outcomeCharts(r, `side${i}`, colours, top)}</div>`)}</div></section>`;
  }
  const sections = runs.map((r, i) => runSection(r, i, colours));
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${raw(STYLE)}</style></head><body><h1>${title}</h1>${compared}${sections}<script type="module">${pageScript()}</script></body></html>\n`
    .text;
}
