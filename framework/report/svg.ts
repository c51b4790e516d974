/**
 * The report's charts, drawn here as static SVG strings: bars with intervals and reference lines, line
 * charts, histograms. A few kinds of chart with fixed styling need no charting library, and static SVG
 * needs no script to display, prints, and leaves each mark in the page (class "bar", "pt") to be counted.
 */

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];
export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

/** Round ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

const num = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

export interface Bar {
  label: string;
  value: number;
  /** The interval drawn on the bar, when known. */
  ci?: [number, number];
  title?: string;
}

export interface BarChartSpec {
  title: string;
  /** Groups of bars (a stage's policies), labelled below. */
  groups: { label: string; bars: Bar[] }[];
  references?: { value: number; label: string }[];
  yLabel: string;
  yMax?: number;
  format?: (x: number) => string;
  /** Tags the chart for tests and links. */
  id: string;
}

/** Vertical bars grouped, each with its interval as a whisker, and horizontal reference lines. */
export function barChart(spec: BarChartSpec): string {
  const bars = spec.groups.flatMap((g) => g.bars);
  const fmt = spec.format ?? num;
  const barW = 22;
  const gap = 14;
  const left = 52;
  const top = 28;
  const plotH = 200;
  // room on the right for the last group's label, drawn at a slant
  const width = Math.max(320, left + spec.groups.reduce((w, g) => w + g.bars.length * barW + gap, 0) + 90);
  const labelsH = 90;
  const height = top + plotH + labelsH;
  const hi = spec.yMax ?? Math.max(...bars.map((b) => b.ci?.[1] ?? b.value), ...(spec.references ?? []).map((r) => r.value), 1e-9) * 1.08;
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(v, hi)) / hi) * plotH;
  const parts: string[] = [];
  for (const t of ticks(0, hi)) {
    if (t > hi) continue;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${esc(fmt(t))}</text>`);
  }
  let x = left + gap / 2;
  const legend = new Map<string, number>();
  for (const g of spec.groups) {
    const start = x;
    for (const b of g.bars) {
      if (!legend.has(b.label)) legend.set(b.label, legend.size);
      const c = colour(legend.get(b.label)!);
      const tip = b.title ?? `${g.label} / ${b.label}: ${fmt(b.value)}${b.ci ? ` (95% CI ${fmt(b.ci[0])}-${fmt(b.ci[1])})` : ''}`;
      parts.push(`<rect class="bar" data-group="${esc(g.label)}" data-label="${esc(b.label)}" data-value="${b.value}" x="${x}" y="${y(b.value)}" width="${barW - 3}" height="${top + plotH - y(b.value)}" fill="${c}"><title>${esc(tip)}</title></rect>`);
      if (b.ci) {
        const cx = x + (barW - 3) / 2;
        parts.push(`<path class="ci" d="M${cx} ${y(b.ci[0])}V${y(b.ci[1])}M${cx - 4} ${y(b.ci[0])}h8M${cx - 4} ${y(b.ci[1])}h8" stroke="#111" stroke-width="1.2"/>`);
      }
      x += barW;
    }
    const mid = (start + x) / 2;
    parts.push(`<text class="group" transform="translate(${mid},${top + plotH + 8}) rotate(35)" text-anchor="start">${esc(g.label)}</text>`);
    x += gap;
  }
  for (const r of spec.references ?? []) {
    parts.push(`<line class="ref" x1="${left}" x2="${width - 10}" y1="${y(r.value)}" y2="${y(r.value)}" stroke="#b91c1c" stroke-dasharray="5 3"/><text x="${width - 12}" y="${y(r.value) - 4}" text-anchor="end" class="reflabel">${esc(r.label)} ${esc(fmt(r.value))}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#111"/><line x1="${left}" x2="${width - 10}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
  parts.push(`<text x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle" class="axis">${esc(spec.yLabel)}</text>`);
  parts.push(`<text x="${left}" y="16" class="title">${esc(spec.title)}</text>`);
  return `<svg class="chart bars" id="${esc(spec.id)}" data-bars="${bars.length}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export interface LineSpec {
  title: string;
  id: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][] }[];
}

/** Lines through points, each point a dot (class "pt", its x and y as data attributes). */
export function lineChart(spec: LineSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const width = 420;
  const height = 240;
  const [left, right, top, bottom] = [56, 12, 28, 40];
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const X = (v: number) => left + ((v - x0) / (x1 - x0)) * (width - left - right);
  const Y = (v: number) => top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom);
  const parts: string[] = [];
  for (const t of ticks(y0, y1, 4)) if (t >= y0 && t <= y1) parts.push(`<line x1="${left}" x2="${width - right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end" class="tick">${num(t)}</text>`);
  for (const t of ticks(x0, x1, 5)) if (t >= x0 && t <= x1) parts.push(`<text x="${X(t)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${num(t)}</text>`);
  spec.series.forEach((s, i) => {
    const c = colour(i);
    if (s.points.length > 1) parts.push(`<path d="M${s.points.map(([a, b]) => `${X(a).toFixed(1)} ${Y(b).toFixed(1)}`).join('L')}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    for (const [a, b] of s.points) parts.push(`<circle class="pt" data-series="${esc(s.name)}" data-x="${a}" data-y="${b}" cx="${X(a).toFixed(1)}" cy="${Y(b).toFixed(1)}" r="${s.points.length > 60 ? 1.6 : 2.6}" fill="${c}"><title>${esc(`${s.name} ${spec.xLabel} ${a}: ${num(b)}`)}</title></circle>`);
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#111"/><line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#111"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle" class="axis">${esc(spec.xLabel)}</text>`);
  parts.push(`<text x="${left}" y="16" class="title">${esc(spec.title)}</text>`);
  return `<svg class="chart line" id="${esc(spec.id)}" data-points="${all.length}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export interface HistogramSpec {
  title: string;
  id: string;
  /** counts[q]: games of q questions; `lost` drawn apart at the right. */
  series: { name: string; counts: number[]; lost: number }[];
  maxQuestions: number;
}

/** Share of games by questions asked, one thin bar per policy per count, lost games in the last column. */
export function histogram(spec: HistogramSpec): string {
  const width = Math.max(420, 60 + (spec.maxQuestions + 2) * Math.max(14, spec.series.length * 6));
  const height = 240;
  const [left, right, top, bottom] = [48, 12, 28, 40];
  const columns = spec.maxQuestions + 2;
  const colW = (width - left - right) / columns;
  const barW = Math.max(2, (colW - 2) / spec.series.length);
  const shares = spec.series.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0) + s.lost;
    return [...Array.from({ length: spec.maxQuestions + 1 }, (_, q) => s.counts[q] ?? 0), s.lost].map((c) => (total === 0 ? 0 : c / total));
  });
  const hi = Math.max(...shares.flat(), 1e-9) * 1.05;
  const Y = (v: number) => top + (1 - v / hi) * (height - top - bottom);
  const parts: string[] = [];
  for (const t of ticks(0, hi, 4)) if (t <= hi) parts.push(`<line x1="${left}" x2="${width - right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end" class="tick">${Math.round(t * 100)}%</text>`);
  let bars = 0;
  spec.series.forEach((s, i) => {
    shares[i]!.forEach((v, q) => {
      if (v === 0) return;
      bars++;
      const x = left + q * colW + 1 + i * barW;
      const label = q > spec.maxQuestions ? 'lost' : `${q} questions`;
      parts.push(`<rect class="bar" data-label="${esc(s.name)}" data-q="${q > spec.maxQuestions ? 'lost' : q}" data-value="${v}" x="${x.toFixed(1)}" y="${Y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(height - bottom - Y(v)).toFixed(1)}" fill="${colour(i)}"><title>${esc(`${s.name}, ${label}: ${(100 * v).toFixed(1)}%`)}</title></rect>`);
    });
  });
  for (let q = 0; q < columns; q += q < 10 ? 2 : 5) parts.push(`<text x="${left + (q + 0.5) * colW}" y="${height - bottom + 14}" text-anchor="middle" class="tick">${q}</text>`);
  parts.push(`<text x="${left + (columns - 0.5) * colW}" y="${height - bottom + 14}" text-anchor="middle" class="tick">lost</text>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#111"/>`);
  parts.push(`<text x="${(left + width) / 2}" y="${height - 6}" text-anchor="middle" class="axis">questions per game (share of games)</text>`);
  parts.push(`<text x="${left}" y="16" class="title">${esc(spec.title)}</text>`);
  return `<svg class="chart hist" id="${esc(spec.id)}" data-bars="${bars}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** A legend of the series, coloured as the charts colour them. */
export function legend(names: readonly string[]): string {
  return `<div class="legend">${names.map((n, i) => `<span><i style="background:${colour(i)}"></i>${esc(n)}</span>`).join('')}</div>`;
}
