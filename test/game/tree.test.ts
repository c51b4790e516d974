import { describe, expect, it } from 'vitest';
import { Domain, NO, UNKNOWN, YES } from '../../framework/game/domain.js';
import { optimalTree, type Semantics, type TreeNode } from '../../framework/game/tree.js';
import type { WrongGuessRule } from '../../framework/game/types.js';
import { Rng } from '../../framework/util/rng.js';
import { animals90, tinyDomain } from '../helpers.js';

/**
 * The same game searched the plain way: every action from every state, no bounds, memo by the full
 * state (members, weights and the questions asked). Independent of the search under test.
 */
function exhaustive(domain: Domain, rule: WrongGuessRule, semantics: Semantics, targets: readonly number[]): number {
  const A = domain.attributes.length;
  const truth = domain.truth!;
  const memo = new Map<string, number>();
  const f = (members: readonly [number, number][], asked: readonly number[]): number => {
    if (members.length === 1) return members[0]![1];
    const key = JSON.stringify([members, [...asked].sort((a, b) => a - b)]);
    const known = memo.get(key);
    if (known !== undefined) return known;
    const total = members.reduce((t, [, w]) => t + w, 0);
    let best = Infinity;
    for (let a = 0; a < A; a++) {
      if (asked.includes(a)) continue;
      const sides: [number, number][][] = semantics === 'say' ? [[], [], []] : [[], []];
      for (const [c, w] of members) {
        const v = truth[c * A + a]!;
        if (v === UNKNOWN && semantics === 'coin') {
          sides[0]!.push([c, w / 2]);
          sides[1]!.push([c, w / 2]);
        } else sides[semantics === 'say' ? v : v === YES ? 0 : 1]!.push([c, w]);
      }
      const parts = sides.filter((s) => s.length > 0);
      // a question that leaves everything where it was is never part of a best tree
      if (parts.some((p) => p.length === members.length && p.every(([c, w], i) => c === members[i]![0] && w === members[i]![1]))) continue;
      // nor one whose answer is a coin for every candidate (both sides keep everyone)
      if (parts.every((p) => p.length === members.length)) continue;
      if (parts.length < 2 && semantics === 'say') continue;
      best = Math.min(best, total + parts.reduce((t, p) => t + f(p, [...asked, a]), 0));
    }
    if (rule === 'continue' || best === Infinity) {
      for (let i = 0; i < members.length; i++) best = Math.min(best, total + f(members.filter((_, j) => j !== i), asked));
    }
    memo.set(key, best);
    return best;
  };
  const weights = new Map<number, number>();
  for (const t of targets) weights.set(t, (weights.get(t) ?? 0) + 1);
  return f([...weights].sort((a, b) => a[0] - b[0]), []);
}

function randomDomain(rng: Rng, n: number, attributes: number, unknown: number): Domain {
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const truth = new Uint8Array(n * attributes);
  for (let i = 0; i < truth.length; i++) truth[i] = rng.next() < unknown ? UNKNOWN : rng.next() < 0.5 ? YES : NO;
  return new Domain({
    name: 'random',
    candidates: ids.map((id) => ({ id, name: id, aliases: [] })),
    attributes: Array.from({ length: attributes }, (_, a) => ({ id: `a${a}`, question: `a${a}?`, paraphrases: [] })),
    truth,
  });
}

/** Plays a tree for one target: the questions it takes, following the given answers for unknown facts. */
function depthOf(tree: TreeNode, domain: Domain, target: number): number {
  let node: TreeNode | undefined = tree;
  for (let q = 1; node; q++) {
    if ('guess' in node) {
      if (node.guess === domain.candidates[target]!.id) return q;
      node = node.no;
    } else {
      const fact = domain.fact(target, domain.attributeIndexOf(node.ask)!);
      node = node[fact];
    }
  }
  throw new Error(`the tree never guesses ${domain.candidates[target]!.id}`);
}

describe('optimal tree over a domain\'s questions', () => {
  it('needs 468/90 questions for animals90 (485/90 when a wrong guess loses), proved, and plays them', () => {
    const domain = animals90();
    for (const [rule, total] of [['continue', 468], ['lose', 485]] as const) {
      const b = optimalTree(domain, { rule, semantics: 'say' });
      expect(b.proved).toBe(true);
      expect(b.mean * 90).toBeCloseTo(total, 9);
      expect(b.lower).toBeCloseTo(b.mean, 12);
      expect(b.histogram.reduce((s, w) => s + w, 0)).toBe(90);
      expect(b.histogram.reduce((s, w, q) => s + w * q, 0)).toBe(total);
      // the tree itself plays every animal in the questions the histogram says
      const depths = domain.candidates.map((_, c) => depthOf(b.tree, domain, c));
      expect(depths.reduce((s, d) => s + d, 0)).toBe(total);
      expect(Math.max(...depths)).toBe(b.worst);
    }
  });

  it('agrees with exhaustive search on 600 random small instances with unknown cells', () => {
    const rng = new Rng(2026);
    let checked = 0;
    for (let i = 0; i < 600; i++) {
      const n = 2 + (i % 10);
      const domain = randomDomain(rng, n, 3 + (i % 4), 0.2);
      const rule: WrongGuessRule = i % 2 === 0 ? 'continue' : 'lose';
      const semantics: Semantics = i % 3 === 0 ? 'coin' : 'say';
      // every fifth instance plays a subset of the targets, some of them twice
      const targets = i % 5 === 0 ? Array.from({ length: n }, () => Math.floor(rng.next() * n)) : domain.candidates.map((_, c) => c);
      const b = optimalTree(domain, { rule, semantics, targets });
      expect(b.proved).toBe(true);
      expect(b.mean * targets.length, `instance ${i}: ${rule} ${semantics}`).toBeCloseTo(exhaustive(domain, rule, semantics, targets), 9);
      expect(b.histogram.reduce((s, w) => s + w, 0)).toBeCloseTo(targets.length, 9);
      checked++;
    }
    expect(checked).toBe(600);
  });

  it('worked by hand on the tiny domain', () => {
    // zebra, horse, fish, bee; "water" is unknown for the bee. Saying unknown splits water three ways:
    // fish (yes), bee (unknown), zebra/horse (no, then guess one): 1+1 + 1+1 + 1+1 + 1+2 ... = 2+2+2+3 = 9.
    const say = optimalTree(tinyDomain(), { rule: 'continue', semantics: 'say' });
    expect(say.mean * 4).toBe(9);
    // a coin for the bee: no question tells four apart in one step; the best is 10 (as with any yes/no questions)
    const coin = optimalTree(tinyDomain(), { rule: 'continue', semantics: 'coin' });
    expect(coin.mean * 4).toBeCloseTo(exhaustive(tinyDomain(), 'continue', 'coin', [0, 1, 2, 3]), 12);
    expect(coin.mean * 4).toBeGreaterThan(9);
  });

  it('reports proved lower and upper bounds when the time runs out', () => {
    const b = optimalTree(animals90(), { rule: 'continue', semantics: 'coin', timeLimitMs: 0 });
    expect(b.proved).toBe(false);
    expect(b.lower).toBeLessThanOrEqual(b.mean);
    // the lower bound is at least the one for arbitrary yes/no questions, 624/90
    expect(b.lower * 90).toBeGreaterThanOrEqual(624 - 1e-9);
    const exact = optimalTree(animals90(), { rule: 'continue', semantics: 'coin' });
    expect(exact.proved).toBe(true);
    expect(b.lower).toBeLessThanOrEqual(exact.mean + 1e-12);
    expect(b.mean).toBeGreaterThanOrEqual(exact.mean - 1e-12);
  });

  it('bounds a subset of the targets by the best tree for them alone', () => {
    const domain = animals90();
    const five = [0, 1, 2, 3, 4];
    const b = optimalTree(domain, { rule: 'continue', semantics: 'say', targets: five });
    expect(b.games).toBe(5);
    expect(b.mean * 5).toBeCloseTo(exhaustive(domain, 'continue', 'say', five), 9);
    expect(b.mean).toBeLessThan(5.2);
  });
});
