import { popcount, type SearchProblem } from './tree-problem.js';
import { firstBit, forEachBit, guessAction, type Action, type State, type States } from './tree-state.js';

/** The branches of a question, by the table's values NO = 0, YES = 1, UNKNOWN = 2. */
export type Branch = 'no' | 'yes' | 'unknown';
export const BRANCHES: readonly Branch[] = ['no', 'yes', 'unknown'];

/** A move from a state: its children (each with the branch it answers), and the move's lower bound. */
export interface Move {
  action: Action;
  children: State[];
  branches: Branch[];
  bound: number;
}

/**
 * The children of asking attribute a in state s, or undefined when the answer tells nothing (every
 * member on one side; under coin, also a question whose coin is drawn already).
 *
 * say: the members split by their fact, three ways. coin: a member unknown at a goes to both sides
 * with half its weight, and a stays live (not to be asked again) while some member is unknown there.
 */
export function askChildren(states: States, s: State, a: number): { children: State[]; branches: Branch[] } | undefined {
  const p = states.problem;
  const { words } = p;
  const base = a * words;
  let y = 0;
  let n = 0;
  for (let w = 0; w < words; w++) {
    y += popcount(s.bits[w]! & p.yes[base + w]!);
    n += popcount(s.bits[w]! & p.no[base + w]!);
  }
  const u = s.n - y - n;
  if (!states.coin) {
    if (y === s.n || n === s.n || u === s.n) return undefined;
    const children: State[] = [];
    const branches: Branch[] = [];
    for (const [branch, masks] of [
      ['no', p.no],
      ['yes', p.yes],
      ['unknown', p.unknown],
    ] as const) {
      const bits = new Uint32Array(words);
      let any = 0;
      for (let w = 0; w < words; w++) any |= bits[w] = s.bits[w]! & masks[base + w]!;
      if (any === 0) continue;
      children.push(states.make(bits, null, null));
      branches.push(branch);
    }
    return { children, branches };
  }
  const live = s.live!;
  if ((live[a >> 5]! >>> (a & 31)) & 1 || u === s.n || (u === 0 && (y === 0 || n === 0))) return undefined;
  const weights = s.weights!.slice();
  if (u > 0) forEachUnknown(p, s.bits, a, (c) => (weights[c]! /= 2));
  const asked = live.slice();
  if (u > 0) asked[a >> 5]! |= 1 << (a & 31);
  const side = (masks: Uint32Array) => {
    const bits = new Uint32Array(words);
    for (let w = 0; w < words; w++) bits[w] = s.bits[w]! & (masks[base + w]! | p.unknown[base + w]!);
    return states.make(bits, states.liveIn(bits, asked), weights);
  };
  return { children: [side(p.yes), side(p.no)], branches: ['yes', 'no'] };
}

function forEachUnknown(p: SearchProblem, bits: Uint32Array, a: number, f: (c: number) => void): void {
  const masked = new Uint32Array(p.words);
  for (let w = 0; w < p.words; w++) masked[w] = bits[w]! & p.unknown[a * p.words + w]!;
  forEachBit(masked, f);
}

/** The most members any informative question of s leaves on its unknown side (say semantics; 0 under coin). */
export function unknownsOf(states: States, s: State): number {
  if (states.coin || !states.problem.hasUnknown) return 0;
  const p = states.problem;
  let most = 0;
  for (let a = 0; a < p.attributes; a++) {
    let y = 0;
    let n = 0;
    for (let w = 0; w < p.words; w++) {
      y += popcount(s.bits[w]! & p.yes[a * p.words + w]!);
      n += popcount(s.bits[w]! & p.no[a * p.words + w]!);
    }
    const u = s.n - y - n;
    if (u < s.n && y < s.n && n < s.n && u > most) most = u;
  }
  return most;
}

/**
 * The questions worth asking in s: every informative attribute, less those that split s exactly as an
 * earlier one does (same parts: the same cost, since which of two identical columns was asked changes
 * nothing below).
 */
export function askMoves(states: States, s: State): Move[] {
  const moves: Move[] = [];
  const seen = new Map<number, Move[]>();
  for (let a = 0; a < states.problem.attributes; a++) {
    const split = askChildren(states, s, a);
    if (!split) continue;
    let signature = 0;
    for (const c of split.children) signature = (signature + hashBits(c.bits)) | 0;
    const same = seen.get(signature);
    if (same?.some((m) => sameParts(m.children, split.children))) continue;
    const move = { action: a, children: split.children, branches: split.branches, bound: 0 };
    if (same) same.push(move);
    else seen.set(signature, [move]);
    moves.push(move);
  }
  return moves;
}

/** One guess per class in s: its first member still in play (see SearchProblem). */
export function guessMoves(states: States, s: State): Move[] {
  const p = states.problem;
  const moves: Move[] = [];
  forEachBit(s.bits, (c) => {
    const previous = c - 1;
    if (p.classStart[c] !== c && (s.bits[previous >> 5]! >>> (previous & 31)) & 1) return;
    moves.push({ action: guessAction(c), children: [states.without(s, c)], branches: ['no'], bound: 0 });
  });
  return moves;
}

/** The cost of guessing the members of s one after another, heaviest first: all that is left when no question tells them apart. */
export function guessThrough(states: States, s: State): { total: number; first: number } {
  const weights = states.weightList(s).sort((x, y) => y - x);
  let total = 0;
  weights.forEach((w, i) => (total += w * (i + 1)));
  let first = firstBit(s.bits);
  forEachBit(s.bits, (c) => {
    if (states.weightOf(s, c) > states.weightOf(s, first)) first = c;
  });
  return { total, first };
}

function sameParts(a: readonly State[], b: readonly State[]): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => equalBits(x.bits, y.bits)));
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  return true;
}

function hashBits(bits: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let w = 0; w < bits.length; w++) h = Math.imul(h ^ bits[w]!, 0x01000193) ^ (h >>> 15);
  return h;
}
