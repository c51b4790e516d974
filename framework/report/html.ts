import type { Comparison } from '../metrics/paired.js';
import { fixed, pct } from '../metrics/table.js';
import { duration, formatDuration } from './runs.js';
import type { PlayReport, RunReport, StageReport } from './data.js';
import { barChart, esc, histogram, legend, lineChart } from './svg.js';

/** The report page: static HTML and SVG, the game viewer's sampled games as inline JSON, a small inline script. */

const playName = (p: PlayReport) => `${p.policy}${p.answerer !== undefined ? `@${p.answerer}` : ''}`;
const ci = (c: [number, number] | undefined, f: (x: number) => string) => (c ? `${f(c[0])}–${f(c[1])}` : '-');

function table(header: string[], rows: string[][], attrs = ''): string {
  return `<table class="sortable"${attrs}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Numbers sort by their data-sort value, so that "95.6%" and "5.21" sort as numbers. */
const n = (value: number | null | undefined, text: string) => (value === null || value === undefined || Number.isNaN(value) ? '-' : `<span data-sort="${value}">${esc(text)}</span>`);

function comparisonCells(c: PlayReport['comparison']): string[] {
  if (!c) return ['', '', ''];
  if ('error' in c) return [esc(c.error), '', ''];
  const k: Comparison = c;
  return [n(k.success_diff, `${k.success_diff >= 0 ? '+' : ''}${pct(k.success_diff)}`), n(k.mcnemar_p, k.mcnemar_p < 1e-4 ? '<0.0001' : k.mcnemar_p.toFixed(4)), n(k.questions_diff, `${k.questions_diff >= 0 ? '+' : ''}${k.questions_diff.toFixed(3)} (${ci(k.questions_diff_ci, (x) => x.toFixed(3))})`)];
}

function summaryRows(run: RunReport, withRun: boolean): string[][] {
  const rows: string[][] = [];
  for (const s of run.stages) {
    for (const p of s.plays) {
      const m = p.metrics;
      if (!m) continue;
      const c = m.clustered;
      rows.push([
        ...(withRun ? [esc(run.info.record?.run_id ?? run.info.dir)] : []),
        esc(s.name),
        esc(playName(p)),
        n(m.games, String(m.games)),
        c ? n(c.distinct_games, String(c.distinct_games)) : '-',
        n(m.errors, String(m.errors)),
        n(m.success, pct(m.success)),
        esc(ci(c?.success_ci ?? m.success_ci, (x) => pct(x))),
        n(m.avg_questions, fixed(m.avg_questions)),
        esc(ci(c?.avg_questions_ci, (x) => fixed(x))),
        n(m.efficiency, fixed(m.efficiency, 3)),
        n(m.invalid_rate, pct(m.invalid_rate)),
        s.bound ? n(s.bound.mean, s.bound.proved ? fixed(s.bound.mean, 3) : `${fixed(s.bound.lower, 3)}–${fixed(s.bound.mean, 3)}`) : '-',
        ...(s.baseline !== undefined && p.comparison ? [esc(s.baseline), ...comparisonCells(p.comparison)] : ['', '', '', '']),
      ]);
    }
  }
  return rows;
}

const SUMMARY_HEADER = ['stage', 'policy', 'games', 'distinct', 'errors', 'success', '95% CI', 'avg q', '95% CI', 'efficiency', 'invalid', 'bound', 'baseline', 'success diff', 'McNemar p', 'avg q diff (95% CI)'];

function outcomeCharts(run: RunReport, id: string): string {
  const evaluated = run.stages.filter((s) => s.plays.some((p) => p.metrics));
  if (evaluated.length === 0) return '';
  const groups = (f: (p: PlayReport) => { value: number; ci?: [number, number] } | undefined) =>
    evaluated.flatMap((s) => {
      const byAnswerer = new Map<string, PlayReport[]>();
      for (const p of s.plays) if (p.metrics) byAnswerer.set(p.answerer ?? '', [...(byAnswerer.get(p.answerer ?? '') ?? []), p]);
      return [...byAnswerer].map(([a, plays]) => ({ label: a ? `${s.name} (${a})` : s.name, bars: plays.map((p) => ({ label: p.policy, ...f(p)! })) }));
    });
  const success = barChart({
    id: `${id}-success`,
    title: 'Success by stage and policy (95% CI clustered by target)',
    yLabel: 'success',
    yMax: 1,
    format: (x) => `${Math.round(x * 100)}%`,
    groups: groups((p) => ({ value: p.metrics!.success, ci: p.metrics!.clustered?.success_ci ?? p.metrics!.success_ci })),
  });
  const bounds = new Map<string, number>();
  for (const s of evaluated) if (s.bound) bounds.set(`bound (${s.bound.semantics}, ${s.bound.rule})`, s.bound.mean);
  const questions = barChart({
    id: `${id}-questions`,
    title: 'Mean questions by stage and policy (95% CI), exact bound as a line',
    yLabel: 'mean questions (a loss counts the budget)',
    groups: groups((p) => ({ value: p.metrics!.avg_questions, ...(p.metrics!.clustered ? { ci: p.metrics!.clustered.avg_questions_ci } : {}) })),
    references: [...bounds].map(([label, value]) => ({ label, value })),
  });
  const policies = [...new Set(evaluated.flatMap((s) => s.plays.map((p) => p.policy)))];
  return `<h3>Outcome</h3>${legend(policies)}<div class="charts">${success}${questions}</div>`;
}

/** The fields of a curve line plotted: numbers other than its x. */
function curveCharts(s: StageReport, id: string): string {
  const lines = s.curve ?? [];
  if (lines.length === 0) return `<p class="note">no curve file</p>`;
  const xField = lines.some((l) => typeof l.iteration === 'number') ? 'iteration' : 'epoch';
  const fields = [...new Set(lines.flatMap((l) => Object.keys(l)))].filter((f) => f !== xField && f !== 'stage' && lines.some((l) => typeof l[f] === 'number'));
  // dataset counts logged once at epoch 0 (games, rows) are not curves: plot a field only where it changes
  const plotted = fields.filter((f) => lines.filter((l) => typeof l[f] === 'number').length > 1);
  const once = fields.filter((f) => !plotted.includes(f));
  const charts = plotted.map((f) =>
    lineChart({
      id: `${id}-${s.name}-curve-${f}`,
      title: `${s.name}: ${f}`,
      xLabel: xField,
      yLabel: f,
      series: [{ name: f, points: lines.filter((l) => typeof l[f] === 'number' && typeof l[xField] === 'number').map((l) => [l[xField] as number, l[f] as number]) }],
    }),
  );
  const facts = once.map((f) => `${esc(f)} ${esc(String(lines.find((l) => typeof l[f] === 'number')![f]))}`).join(', ');
  return `<div class="charts" data-curve="${esc(s.name)}" data-lines="${lines.length}">${charts.join('')}</div>${facts ? `<p class="note">${facts}</p>` : ''}`;
}

function histograms(s: StageReport, run: RunReport, id: string): string {
  if (s.plays.length === 0) return '';
  const byAnswerer = new Map<string, PlayReport[]>();
  for (const p of s.plays) byAnswerer.set(p.answerer ?? '', [...(byAnswerer.get(p.answerer ?? '') ?? []), p]);
  return [...byAnswerer]
    .map(([a, plays], i) =>
      histogram({
        id: `${id}-hist-${i}`,
        title: `${s.name}${a ? ` against ${a}` : ''}: questions per game`,
        maxQuestions: run.maxQuestions,
        series: plays.map((p) => ({ name: p.policy, counts: p.counts, lost: p.lost })),
      }) + legend(plays.map((p) => p.policy)),
    )
    .join('');
}

function perAnimal(run: RunReport, id: string): string {
  const plays = run.stages.flatMap((s) => s.plays.filter((p) => p.metrics?.per_candidate).map((p) => ({ s, p })));
  if (plays.length === 0) return '';
  const animals = run.candidates.length > 0 ? run.candidates : [...new Set(plays.flatMap(({ p }) => Object.keys(p.metrics!.per_candidate)))];
  const header = [esc(run.noun), ...plays.flatMap(({ s, p }) => [`${s.name}/${playName(p)} success`, 'avg q'])];
  const rows = animals.map((a) => [
    esc(a),
    ...plays.flatMap(({ p }) => {
      const c = p.metrics!.per_candidate[a];
      if (!c) return ['-', '-'];
      const rate = c.wins / c.games;
      return [`<span data-sort="${rate}" class="${rate < 1 ? (rate < 0.5 ? 'bad' : 'warn') : ''}">${pct(rate, 0)}</span>`, n(c.avg_questions, fixed(c.avg_questions, 1))];
    }),
  ]);
  return `<h3>Per ${esc(run.noun)}</h3><p class="note">Click a column to sort (a policy's failures first by its success column).</p><div class="scroll">${table(header, rows, ` id="${id}-animals"`)}</div>`;
}

function audits(run: RunReport, id: string): string {
  return run.stages
    .filter((s) => s.audit)
    .map((s) => {
      const a = s.audit!;
      const covered = a.filter((x) => x.wins > 0).length;
      const rows = a.map((x) => [esc(x.target), n(x.games, String(x.games)), n(x.wins, String(x.wins)), `<span data-sort="${x.win_rate}" class="${x.wins === 0 ? 'bad' : ''}">${pct(x.win_rate, 0)}</span>`, n(x.fewest, String(x.fewest ?? '-')), n(x.median, String(x.median ?? '-')), n(x.contradictions, String(x.contradictions))]);
      return `<h3>Audit ${esc(s.name)}: coverage</h3><p>${covered} of ${a.length} ${esc(run.plural)} have a winning game.</p><div class="scroll short">${table([esc(run.noun), 'games', 'wins', 'win rate', 'fewest q', 'median q', 'contradictions'], rows, ` id="${id}-audit-${esc(s.name)}"`)}</div>`;
    })
    .join('');
}

function gapSection(run: RunReport, id: string): string {
  const g = run.gap;
  if (!g) return '';
  const e = g.embedding;
  const withEmb = e !== undefined && e.error === undefined;
  const rows = g.rows.map((r) => [
    esc(r.stage),
    esc(r.policy + (r.answerer ? `@${r.answerer}` : '')),
    n(r.style, r.style.toFixed(3)),
    ...(withEmb ? [r.embedding === undefined ? '<span data-sort="-2">-</span>' : `<span data-sort="${r.embedding}" class="emb">${r.embedding.toFixed(3)}</span>`] : []),
    n(r.success, pct(r.success)),
    n(r.avg_questions, fixed(r.avg_questions)),
    n(r.efficiency, fixed(r.efficiency, 3)),
  ]);
  const rho = (x: number) => (Number.isNaN(x) ? 'undefined' : x.toFixed(3));
  const embNote = !e
    ? ''
    : withEmb
      ? `<p class="rho" id="${id}-emb">Embedding cosine: the cosine similarity of the embedding of a game's question texts (one string per game) to the reference games of the same target (the best of them), averaged over the policy's games; embeddings from ${esc(e.model)} at ${esc(e.base_url)}/embeddings (${e.texts ?? 0} distinct texts). Spearman rank correlation, embedding cosine vs efficiency: <b id="${id}-rho-emb">${rho(e.rho_efficiency ?? NaN)}</b>; vs success: ${rho(e.rho_success ?? NaN)}.</p>`
      : `<p class="bad" id="${id}-emb">The embedding cosine is missing: ${esc(e.error!)} (embeddings endpoint ${esc(e.base_url)}, model ${esc(e.model)}).</p>`;
  const dis = g.disagreements.map((d) => `<li>${esc(d.stage)}/${esc(d.policy)}${d.answerer ? `@${esc(d.answerer)}` : ''}: style rank ${d.style_rank}, outcome rank ${d.outcome_rank} of ${g.rows.length}</li>`).join('');
  return `<h3>The evaluation gap</h3>
<p>Style: token F1 of a game's question texts against the reference games of the same target (the best over up to 20 of them), averaged over the policy's games; reference: ${esc(g.reference)}. Outcome: success and efficiency (success × (1 − avg q / budget)).</p>
${table(['stage', 'policy', 'style (token F1)', ...(withEmb ? ['embedding cosine'] : []), 'success', 'avg q', 'efficiency'], rows, ` id="${id}-gap"`)}
${embNote}
<p class="rho">Spearman rank correlation, style vs efficiency: <b id="${id}-rho">${rho(g.rho_efficiency)}</b>; style vs success: ${rho(g.rho_success)} (over ${g.rows.length} policies and stages). Would a style metric have picked the right model? The most efficient policy ranks ${(() => {
    const best = [...g.rows].sort((a, b) => b.efficiency - a.efficiency)[0]!;
    const styleRank = [...g.rows].sort((a, b) => b.style - a.style).indexOf(best) + 1;
    return `${styleRank} of ${g.rows.length} by style (${esc(best.stage)}/${esc(best.policy)})`;
  })()}.</p>
<p>Where they disagree most:</p><ul>${dis}</ul>`;
}

function viewer(run: RunReport, id: string): string {
  const data: Record<string, Record<string, unknown[]>> = {};
  for (const s of run.stages) for (const p of s.plays) if (p.games.length > 0) (data[s.name] ??= {})[playName(p)] = p.games;
  if (Object.keys(data).length === 0) return '';
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<h3>Game viewer</h3><p class="note">${run.sampled.offered} of ${run.sampled.played} games offered (at most ${run.sampled.perTarget} per policy and ${esc(run.noun)}, ${run.sampled.perPolicy} per policy).</p>
<div class="viewer" data-run="${id}"><label>stage <select class="v-stage"></select></label> <label>policy <select class="v-policy"></select></label> <label>${esc(run.noun)} <select class="v-target"></select></label> <label>game <select class="v-game"></select></label><div class="v-out"></div></div>
<script type="application/json" id="${id}-games">${json}</script>`;
}

function runSection(run: RunReport, index: number): string {
  const id = `run${index}`;
  const rec = run.info.record;
  const head = rec
    ? `${esc(rec.experiment)} ${esc(rec.run_id)}: <b class="status-${esc(rec.status)}">${esc(rec.status)}</b>, started ${esc(rec.started)}, ${formatDuration(duration(rec))}, ${rec.workers} workers${rec.error ? `<br><span class="bad">error: ${esc(rec.error)}</span>` : ''}`
    : `${esc(run.info.dir)}: no run.json`;
  const stages = run.stages.map((s) => `<span class="stage st-${esc(s.status)}">${esc(s.name)} (${esc(s.kind)}) ${esc(s.status)}${s.seconds !== undefined ? ` ${formatDuration(s.seconds)}` : ''}</span>`).join(' ');
  const rows = summaryRows(run, false);
  const training = run.stages.filter((s) => s.curve !== undefined).map((s) => `<h4>${esc(s.name)}</h4>${curveCharts(s, id)}`).join('');
  const hists = run.stages.filter((s) => s.plays.length > 0).map((s) => histograms(s, run, `${id}-${s.name}`)).join('');
  return `<section class="run" id="${id}"><h2>${head}</h2><p class="stages">${stages}</p><p class="dir">${esc(run.info.dir)}</p>
${run.info.problems.map((p) => `<p class="bad">${esc(p)}</p>`).join('')}
<h3>Summary</h3>${rows.length > 0 ? `<div class="scroll">${table(SUMMARY_HEADER, rows, ` id="${id}-summary"`)}</div>` : '<p class="note">no evaluated policy yet</p>'}
${outcomeCharts(run, id)}
${training ? `<h3>Training curves</h3>${training}` : ''}
${hists ? `<h3>Questions per game</h3><div class="charts">${hists}</div>` : ''}
${gapSection(run, id)}
${perAnimal(run, id)}
${audits(run, id)}
${viewer(run, id)}
${run.info.summary ? `<details><summary>summary.txt</summary><pre>${esc(run.info.summary)}</pre></details>` : ''}
</section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#111;max-width:1500px}h2{font-size:18px}h3{margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12px}th,td{padding:2px 6px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}th{cursor:pointer;background:#f6f6f6;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
.scroll{overflow:auto;max-height:520px}.scroll.short{max-height:300px}.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}svg{font-size:10px}.title{font-weight:600;font-size:12px}.tick{fill:#555}
.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}.bad{color:#b91c1c}.warn{color:#b45309}.note{color:#555;font-size:12px}
.stage{display:inline-block;padding:1px 6px;margin:2px;border-radius:3px;background:#eef}.st-done{background:#dcfce7}.st-failed{background:#fee2e2}.st-interrupted{background:#fef3c7}
.status-completed{color:#15803d}.status-failed{color:#b91c1c}.status-interrupted{color:#b45309}.dir{color:#777;font-size:12px}
.v-out table td{text-align:left;white-space:normal;max-width:600px}.v-out pre{margin:0;white-space:pre-wrap;font-size:11px;color:#444}.run{border-top:3px solid #333;margin-top:24px}.side{display:flex;gap:16px}`;

/** Sorting of tables, and the game viewer: the page's only script, inline. */
const SCRIPT = `
for (const th of document.querySelectorAll('table.sortable th')) th.addEventListener('click', () => {
  const table = th.closest('table'); const i = [...th.parentNode.children].indexOf(th);
  const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc'; th.dataset.dir = dir;
  const key = (tr) => { const td = tr.children[i]; const s = td && td.querySelector('[data-sort]'); return s ? Number(s.dataset.sort) : (td ? td.textContent : ''); };
  const rows = [...table.tBodies[0].rows].sort((a, b) => { const x = key(a), y = key(b); const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)); return dir === 'asc' ? c : -c; });
  table.tBodies[0].append(...rows);
});
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
for (const v of document.querySelectorAll('.viewer')) {
  const data = JSON.parse(document.getElementById(v.dataset.run + '-games').textContent);
  const [st, po, ta, ga, out] = ['.v-stage', '.v-policy', '.v-target', '.v-game', '.v-out'].map((s) => v.querySelector(s));
  const fill = (sel, values, labels) => { sel.innerHTML = values.map((x, i) => '<option value="' + esc(x) + '">' + esc(labels ? labels[i] : x) + '</option>').join(''); };
  const games = () => (data[st.value] || {})[po.value] || [];
  const show = () => {
    const g = games().find((x) => String(x.game) === ga.value); if (!g) { out.innerHTML = ''; return; }
    const rows = g.turns.map((t, i) => '<tr class="turn" data-kind="' + t.kind + '"><td>' + (i + 1) + '</td><td>' + t.kind + '</td><td class="q">' + esc(t.text) + (t.reason ? ' <span class="bad">(' + esc(t.reason) + ')</span>' : '') + (t.raw !== undefined && t.raw !== t.text ? '<pre>' + esc(t.raw) + '</pre>' : '') + '</td><td class="a">' + esc(t.answer ?? '-') + (t.answer_raw !== undefined ? '<pre>' + esc(t.answer_raw) + '</pre>' : '') + '</td><td class="left">' + (t.left ?? '-') + '</td><td>' + (t.bits === undefined ? '-' : t.bits.toFixed(2)) + '</td><td>' + (t.tokens ?? '') + '</td></tr>').join('');
    out.innerHTML = '<p class="v-head">game ' + g.game + ', target <b>' + esc(g.target) + '</b>: ' + g.outcome + ' in ' + g.questions + ' questions, ' + g.invalid + ' invalid' + (g.reward !== undefined ? ', reward ' + g.reward.toFixed(3) : '') + (g.error ? ', error: ' + esc(g.error) : '') + '</p><table><thead><tr><th>#</th><th>move</th><th>text</th><th>answer</th><th>candidates left</th><th>bits</th><th>tokens</th></tr></thead><tbody>' + rows + '</tbody></table>';
  };
  const onTarget = () => { const gs = games().filter((g) => g.target === ta.value); fill(ga, gs.map((g) => String(g.game)), gs.map((g) => 'game ' + g.game + ' (' + g.outcome + ', ' + g.questions + ' q)')); show(); };
  const onPolicy = () => { fill(ta, [...new Set(games().map((g) => g.target))].sort()); onTarget(); };
  const onStage = () => { fill(po, Object.keys(data[st.value] || {})); onPolicy(); };
  st.addEventListener('change', onStage); po.addEventListener('change', onPolicy); ta.addEventListener('change', onTarget); ga.addEventListener('change', show);
  fill(st, Object.keys(data)); onStage();
}`;

/** The whole page for one or several runs; several are compared in one table first, then shown one after another. */
export function renderReport(runs: readonly RunReport[]): string {
  const title = runs.length === 1 ? `twentyq report: ${runs[0]!.info.record?.experiment ?? ''} ${runs[0]!.info.record?.run_id ?? runs[0]!.info.dir}` : `twentyq report: ${runs.length} runs`;
  const compared =
    runs.length > 1
      ? `<section><h2>Runs side by side</h2><div class="scroll">${table(['run', ...SUMMARY_HEADER], runs.flatMap((r) => summaryRows(r, true)), ' id="compare-summary"')}</div><div class="side">${runs.map((r, i) => `<div>${outcomeCharts(r, `side${i}`)}</div>`).join('')}</div></section>`
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>${compared}${runs.map((r, i) => runSection(r, i)).join('')}<script>${SCRIPT}</script></body></html>\n`;
}
