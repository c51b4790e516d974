import { describe, expect, it } from 'vitest';
import { Domain, NO, UNKNOWN, YES } from '../../framework/game/domain.js';
import { optimalTree, searchTree, TreeValues, type Semantics, type TreeNode } from '../../framework/game/tree.js';
import type { WrongGuessRule } from '../../framework/game/types.js';
import { Rng } from '../../framework/util/rng.js';
import { animals90, tinyDomain } from '../helpers.js';
import { exhaustive, exhaustiveFrom, winnable } from './exhaustive.js';
import { loadTable } from '../../plugins/domains/table/index.js';

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

describe("optimal tree over a domain's questions", () => {
  it('needs 468/90 questions for animals90 (485/90 when a wrong guess loses), proved, and plays them', () => {
    const domain = animals90();
    for (const [rule, total] of [
      ['continue', 468],
      ['lose', 485],
    ] as const) {
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

/** A set a game can reach: a few questions answered at random, with the weights and questions asked under the semantics. */
function reached(domain: Domain, semantics: Semantics, rng: Rng, steps: number): { members: [number, number][]; asked: number[] } {
  const A = domain.attributes.length;
  let members: [number, number][] = domain.candidates.map((_, c) => [c, 1]);
  const asked: number[] = [];
  for (let i = 0; i < steps && members.length > 1; i++) {
    const a = rng.int(A);
    if (asked.includes(a)) continue;
    const answer = rng.int(semantics === 'say' ? 3 : 2);
    const next: [number, number][] = [];
    for (const [c, w] of members) {
      const v = domain.truth![c * A + a]!;
      if (semantics === 'say' && v === answer) next.push([c, w]);
      if (semantics === 'coin' && v === UNKNOWN) next.push([c, w / 2]);
      else if (semantics === 'coin' && v === (answer === 0 ? YES : NO)) next.push([c, w]);
    }
    if (next.length === 0) continue;
    members = next;
    asked.push(a);
  }
  return { members, asked };
}

describe('V(S): the exact value of the sets a game passes through', () => {
  it('agrees with exhaustive search on sets reached by random answers, both rules and semantics', () => {
    const rng = new Rng(17);
    for (let i = 0; i < 120; i++) {
      const domain = randomDomain(rng, 4 + (i % 6), 3 + (i % 3), 0.25);
      const rule: WrongGuessRule = i % 2 === 0 ? 'continue' : 'lose';
      const semantics: Semantics = i % 4 < 2 ? 'say' : 'coin';
      const values = new TreeValues(domain, { rule, semantics });
      for (let k = 0; k < 4; k++) {
        const { members: all, asked } = reached(domain, semantics, rng, k);
        const members = winnable(domain, rule, all).kept;
        const weight = members.reduce((t, [, w]) => t + w, 0);
        const v = values.value(
          all.map(([c]) => c),
          asked,
        );
        expect(v * weight, `instance ${i}, set ${k}: ${rule} ${semantics}`).toBeCloseTo(exhaustiveFrom(domain, rule, semantics, members, asked), 9);
        // the best move's value is V(S); no move does better
        const moves = [
          ...domain.attributes.map((_, a) =>
            values.valueOfAsk(
              members.map(([c]) => c),
              asked,
              a,
            ),
          ),
          // under lose a guess is a move only of a lone candidate (or where no question tells the rest apart)
          ...(rule === 'continue' || members.length === 1
            ? members.map(([c]) =>
                values.valueOfGuess(
                  members.map(([m]) => m),
                  asked,
                  c,
                ),
              )
            : []),
        ];
        expect(Math.min(...moves)).toBeGreaterThanOrEqual(v - 1e-9);
        if (rule === 'continue' || members.length === 1) expect(Math.min(...moves)).toBeCloseTo(v, 9);
      }
    }
  });

  it('is 0 for no candidate and 1 for one', () => {
    const values = new TreeValues(tinyDomain(), { rule: 'continue', semantics: 'say' });
    expect(values.value([])).toBe(0);
    expect(values.value([2])).toBe(1);
    expect(values.value([0, 1, 2, 3])).toBe(9 / 4);
  });
});

describe('the search as a caller runs it', () => {
  it("never returns a tree worse than the expert's, even with no time to search", () => {
    const rng = new Rng(5);
    for (let i = 0; i < 40; i++) {
      const domain = randomDomain(rng, 8 + (i % 8), 4 + (i % 5), 0.2);
      for (const rule of ['continue', 'lose'] as const) {
        for (const semantics of ['say', 'coin'] as const) {
          const rushed = optimalTree(domain, { rule, semantics, timeLimitMs: 0 });
          expect(rushed.mean).toBeLessThanOrEqual(rushed.greedy + 1e-12);
          expect(rushed.lower).toBeLessThanOrEqual(rushed.mean + 1e-12);
          const exact = optimalTree(domain, { rule, semantics });
          expect(exact.mean).toBeLessThanOrEqual(exact.greedy + 1e-12);
          expect(rushed.lower).toBeLessThanOrEqual(exact.mean + 1e-9);
        }
      }
    }
  });

  it('yields between slices: a signal stops it, and progress is told', async () => {
    const domain = loadTable('bench/tables/unknown-50x30.csv');
    const stop = new AbortController();
    const progress: number[] = [];
    const started = performance.now();
    setTimeout(() => stop.abort(new Error('stopped')), 300);
    await expect(searchTree(domain, { rule: 'lose', semantics: 'coin', signal: stop.signal, onProgress: (p) => progress.push(p.ms) })).rejects.toThrow('stopped');
    // loosely: the machine may be shared, but a search that never yields would run for minutes
    expect(performance.now() - started).toBeLessThan(3000);
    expect(progress.length).toBeGreaterThan(0);
  });
});
