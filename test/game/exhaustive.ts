import { UNKNOWN, YES, type Domain } from '../../framework/game/domain.js';
import type { Semantics } from '../../framework/game/tree.js';
import type { WrongGuessRule } from '../../framework/game/types.js';

/**
 * The same game searched the plain way: every action from every state, no bounds, memo by the full
 * state (members, weights and the questions asked). Independent of the search under test.
 */
export function exhaustive(domain: Domain, rule: WrongGuessRule, semantics: Semantics, targets: readonly number[]): number {
  const weights = new Map<number, number>();
  for (const t of targets) weights.set(t, (weights.get(t) ?? 0) + 1);
  const { kept, lost } = winnable(
    domain,
    rule,
    [...weights].sort((a, b) => a[0] - b[0]),
  );
  return exhaustiveFrom(domain, rule, semantics, kept, []) + lost * 20;
}

/**
 * Under lose, of candidates that share every answer only one game can be won (a wrong guess among
 * them ends the game): the heaviest (the first of equal weight) is kept, and the weight of the others
 * is lost, each of their games counting 20 questions.
 */
export function winnable(domain: Domain, rule: WrongGuessRule, members: readonly [number, number][]): { kept: [number, number][]; lost: number } {
  if (rule === 'continue') return { kept: [...members], lost: 0 };
  const A = domain.attributes.length;
  const row = (c: number) => domain.truth!.subarray(c * A, (c + 1) * A).join('');
  const best = new Map<string, [number, number]>();
  for (const m of members) {
    const b = best.get(row(m[0]));
    if (!b || m[1] > b[1]) best.set(row(m[0]), m);
  }
  const kept = members.filter((m) => best.get(row(m[0])) === m);
  return { kept, lost: members.filter((m) => !kept.includes(m)).reduce((t, [, w]) => t + w, 0) };
}

/** f of a set of candidates with their weights ([candidate, weight], by candidate), the questions in `asked` asked already. */
export function exhaustiveFrom(domain: Domain, rule: WrongGuessRule, semantics: Semantics, start: readonly [number, number][], asked: readonly number[]): number {
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
      for (let i = 0; i < members.length; i++)
        best = Math.min(
          best,
          total +
            f(
              members.filter((_, j) => j !== i),
              asked,
            ),
        );
    }
    memo.set(key, best);
    return best;
  };
  return f(start, asked);
}
