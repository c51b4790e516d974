import { words } from '../util/text.js';

/**
 * The style score of the evaluation gap: how much a policy's questions look like the expert's for the
 * same target, the way a text-similarity metric would judge them, computed here with no model.
 */

export type Bag = Map<string, number>;

/** The bag of words of a game's question texts. */
export function bagOf(texts: readonly string[]): Bag {
  const bag: Bag = new Map();
  for (const t of texts) for (const w of words(t)) bag.set(w, (bag.get(w) ?? 0) + 1);
  return bag;
}

const size = (bag: Bag) => {
  let n = 0;
  for (const c of bag.values()) n += c;
  return n;
};

/** Token F1 (SQuAD's): the harmonic mean of precision and recall of the words shared, counted with multiplicity. */
export function tokenF1(a: Bag, b: Bag): number {
  const [na, nb] = [size(a), size(b)];
  if (na === 0 || nb === 0) return na === nb ? 1 : 0;
  let common = 0;
  for (const [w, c] of a) common += Math.min(c, b.get(w) ?? 0);
  if (common === 0) return 0;
  const precision = common / na;
  const recall = common / nb;
  return (2 * precision * recall) / (precision + recall);
}

/** A game's style score against the reference games of its target: the best F1 over them (as with several gold answers). */
export function styleScore(game: Bag, references: readonly Bag[]): number | undefined {
  if (references.length === 0) return undefined;
  let best = 0;
  for (const r of references) best = Math.max(best, tokenF1(game, r));
  return best;
}

/** Ranks from 1, ties given their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation: Pearson's correlation of the ranks (ties averaged); NaN with fewer than 2 or no spread. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('spearman: lengths differ');
  const n = x.length;
  if (n < 2) return NaN;
  const [rx, ry] = [ranks(x), ranks(y)];
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const [dx, dy] = [rx[i]! - mean, ry[i]! - mean];
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}
