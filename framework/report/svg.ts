import { html, type Markup } from './markup.js';

/**
 * The report's charts, drawn here as static SVG: bars with intervals and reference lines, line charts,
 * histograms. A few kinds of chart with fixed styling need no charting library, and static SVG needs
 * no script to display, prints, and leaves each mark in the page (class "bar", "pt") to be counted.
 */

const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

/** One colour per policy label across every chart of a report: the label's colour is fixed where it is first drawn. */
export class Palette {
  private readonly colours = new Map<string, string>();
  of(label: string): string {
    let c = this.colours.get(label);
    if (!c) {
      c = PALETTE[this.colours.size % PALETTE.length]!;
      this.colours.set(label, c);
    }
    return c;
  }
}

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

export const num = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

/** A range as the report writes it: "a to b" (a dash would read as a minus sign: "-1.811--0.789"). */
export const range = (lo: string, hi: string): string => `${lo} to ${hi}`;

export interface Bar {
  label: string;
  value: number;
  /** The interval drawn on the bar, when known. */
  ci?: [number, number];
}

export interface BarChartSpec {
  title: string;
  /** Groups of bars (a stage's policies), labelled below. */
  groups: { label: string; bars: Bar[] }[];
  references?: { value: number; label: string }[];
  yLabel: string;
  /** The top of the axis; charts compared side by side are given the same. */
  yMax?: number;
  format?: (x: number) => string;
  colours: Palette;
  /** Tags the chart for tests and links. */
  id: string;
}

/** The top of a bar chart's axis: above its highest whisker and reference line. */
export function barTop(groups: BarChartSpec['groups'], references: BarChartSpec['references'] = []): number {
  const bars = groups.flatMap((g) => g.bars);
  return Math.max(...bars.map((b) => b.ci?.[1] ?? b.value), ...references.map((r) => r.value), 1e-9) * 1.08;
}

/** Vertical bars grouped, each with its interval as a whisker, and horizontal reference lines. */
export function barChart(spec: BarChartSpec): Markup {
  const bars = spec.groups.flatMap((g) => g.bars);
  const fmt = spec.format ?? num;
  const [barW, gap, left, top, plotH, labelsH] = [22, 14, 52, 28, 200, 90];
  // room on the right for the last group's label, drawn at a slant, and for the title and reference labels (about 7 px a character of the bold title)
  const labels = Math.max(spec.title.length, ...(spec.references ?? []).map((r) => r.label.length + 8)) * 7;
  const width = Math.round(Math.max(320, left + labels, left + spec.groups.reduce((w, g) => w + g.bars.length * barW + gap, 0) + 90));
  const height = top + plotH + labelsH;
  const hi = spec.yMax ?? barTop(spec.groups, spec.references);
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(v, hi)) / hi) * plotH;
  const parts: Markup[] = ticks(0, hi)
    .filter((t) => t <= hi)
    .map((t) => html`<line x1="${left}" x2="${width - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  let x = left + gap / 2;
  for (const g of spec.groups) {
    const start = x;
    for (const b of g.bars) {
      const tip = `${g.label} / ${b.label}: ${fmt(b.value)}${b.ci ? ` (95% CI ${range(fmt(b.ci[0]), fmt(b.ci[1]))})` : ''}`;
      parts.push(
        html`<rect class="bar" data-group="${g.label}" data-label="${b.label}" data-value="${b.value}" x="${x}" y="${y(b.value)}" width="${barW - 3}" height="${top + plotH - y(b.value)}" fill="${spec.colours.of(b.label)}"><title>${tip}</title></rect>`,
      );
      if (b.ci) {
        const cx = x + (barW - 3) / 2;
        parts.push(html`<path class="ci" d="M${cx} ${y(b.ci[0])}V${y(b.ci[1])}M${cx - 4} ${y(b.ci[0])}h8M${cx - 4} ${y(b.ci[1])}h8" stroke="#111" stroke-width="1.2"/>`);
      }
      x += barW;
    }
    parts.push(html`<text class="group" transform="translate(${(start + x) / 2},${top + plotH + 8}) rotate(35)" text-anchor="start">${g.label}</text>`);
    x += gap;
  }
  (spec.references ?? []).forEach((r, i) => {
    parts.push(
      html`<line class="ref" data-value="${r.value}" x1="${left}" x2="${width - 10}" y1="${y(r.value)}" y2="${y(r.value)}" stroke="#b91c1c" stroke-dasharray="${i === 0 ? '5 3' : '2 2'}"/><text x="${width - 12}" y="${y(r.value) - 4 - 11 * i}" text-anchor="end" class="reflabel">${r.label} ${fmt(r.value)}</text>`,
    );
  });
  return html`<svg class="chart bars" id="${spec.id}" data-bars="${bars.length}" data-ymax="${hi}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts}<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#111"/><line x1="${left}" x2="${width - 10}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/><text x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle" class="axis">${spec.yLabel}</text><text x="${left}" y="16" class="title">${spec.title}</text></svg>`;
}

export interface LineSpec {
  title: string;
  id: string;
  xLabel: string;
  yLabel: string;
  /** A series' colour: a policy's, from the report's palette (default blue). */
  series: { name: string; points: [number, number][]; colour?: string }[];
}

/** Lines through points, each point a dot (class "pt", its x and y as data attributes). */
export function lineChart(spec: LineSpec): Markup {
  const all = spec.series.flatMap((s) => s.points);
  const [width, height] = [420, 240];
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
  const parts: Markup[] = [];
  for (const t of ticks(y0, y1, 4))
    if (t >= y0 && t <= y1) parts.push(html`<line x1="${left}" x2="${width - right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end" class="tick">${num(t)}</text>`);
  for (const t of ticks(x0, x1, 5)) if (t >= x0 && t <= x1) parts.push(html`<text x="${X(t)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${num(t)}</text>`);
  for (const s of spec.series) {
    const c = s.colour ?? '#4269d0';
    if (s.points.length > 1) parts.push(html`<path d="M${s.points.map(([a, b]) => `${X(a).toFixed(1)} ${Y(b).toFixed(1)}`).join('L')}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    for (const [a, b] of s.points)
      parts.push(
        html`<circle class="pt" data-series="${s.name}" data-x="${a}" data-y="${b}" cx="${X(a).toFixed(1)}" cy="${Y(b).toFixed(1)}" r="${s.points.length > 60 ? 1.6 : 2.6}" fill="${c}"><title>${`${s.name} ${spec.xLabel} ${a}: ${num(b)}`}</title></circle>`,
      );
  }
  return html`<svg class="chart line" id="${spec.id}" data-points="${all.length}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts}<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#111"/><line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#111"/><text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle" class="axis">${spec.xLabel}</text><text x="${left}" y="16" class="title">${spec.title}</text></svg>`;
}

export interface HistogramSpec {
  title: string;
  id: string;
  /** counts[q]: games of q questions; `lost` drawn apart at the right. */
  series: { name: string; counts: number[]; lost: number }[];
  maxQuestions: number;
  colours: Palette;
}

/** Share of games by questions asked, one thin bar per policy per count, lost games in the last column. */
export function histogram(spec: HistogramSpec): Markup {
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
  const parts: Markup[] = [];
  for (const t of ticks(0, hi, 4))
    if (t <= hi) parts.push(html`<line x1="${left}" x2="${width - right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end" class="tick">${Math.round(t * 100)}%</text>`);
  let bars = 0;
  spec.series.forEach((s, i) => {
    shares[i]!.forEach((v, q) => {
      if (v === 0) return;
      bars++;
      const x = left + q * colW + 1 + i * barW;
      const lost = q > spec.maxQuestions;
      parts.push(
        html`<rect class="bar" data-label="${s.name}" data-q="${lost ? 'lost' : q}" data-value="${v}" x="${x.toFixed(1)}" y="${Y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(height - bottom - Y(v)).toFixed(1)}" fill="${spec.colours.of(s.name)}"><title>${`${s.name}, ${lost ? 'lost' : `${q} questions`}: ${(100 * v).toFixed(1)}%`}</title></rect>`,
      );
    });
  });
  for (let q = 0; q < columns; q += q < 10 ? 2 : 5) parts.push(html`<text x="${left + (q + 0.5) * colW}" y="${height - bottom + 14}" text-anchor="middle" class="tick">${q}</text>`);
  return html`<svg class="chart hist" id="${spec.id}" data-bars="${bars}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts}<text x="${left + (columns - 0.5) * colW}" y="${height - bottom + 14}" text-anchor="middle" class="tick">lost</text><line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#111"/><text x="${(left + width) / 2}" y="${height - 6}" text-anchor="middle" class="axis">questions per game (share of games)</text><text x="${left}" y="16" class="title">${spec.title}</text></svg>`;
}

/** A legend of the policies, coloured as every chart of the report colours them. */
export function legend(names: readonly string[], colours: Palette): Markup {
  return html`<div class="legend">${names.map((n) => html`<span data-label="${n}"><i style="background:${colours.of(n)}"></i>${n}</span>`)}</div>`;
}
