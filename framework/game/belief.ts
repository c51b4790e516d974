import { NO, UNKNOWN, YES, type Domain } from './domain.js';
import type { Turn } from './types.js';

/** Bitsets of the truth table: for each attribute, which candidates are yes / no. */
export interface TruthMasks {
  words: number;
  /** yes[a * words + w], no[a * words + w] */
  yes: Uint32Array;
  no: Uint32Array;
}

const masksCache = new WeakMap<Domain, TruthMasks>();

export function truthMasks(domain: Domain): TruthMasks {
  let masks = masksCache.get(domain);
  if (masks) return masks;
  if (!domain.truth) throw new Error(`domain ${domain.name} has no truth table`);
  const n = domain.candidates.length;
  const attributes = domain.attributes.length;
  const words = Math.ceil(n / 32);
  const yes = new Uint32Array(attributes * words);
  const no = new Uint32Array(attributes * words);
  for (let c = 0; c < n; c++) {
    for (let a = 0; a < attributes; a++) {
      const v = domain.truth[c * attributes + a];
      const bit = 1 << (c % 32);
      if (v === YES) yes[a * words + (c >> 5)]! |= bit;
      else if (v === NO) no[a * words + (c >> 5)]! |= bit;
    }
  }
  masks = { words, yes, no };
  masksCache.set(domain, masks);
  return masks;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * What a questioner can infer from the answers so far, given the truth table. Each candidate counts
 * the answers that contradict it; the candidates still in play are those not yet guessed with the
 * fewest contradictions. A truthful answerer leaves the target at zero; a noisy one may not, and then
 * the target is still found among the next-fewest once the others are guessed away.
 *
 * Two ways to read "unknown". Two-way (the default): an `unknown` answer, or a fact the table marks
 * unknown, contradicts nothing; right for an answerer whose "unknown" tells nothing (`coin`, `vague`).
 * Three-way: the answerer says "unknown" exactly where the table does (`say`), so every answer
 * contradicts the candidates whose fact is anything else, and a question splits the candidates in three.
 */
export class Belief {
  readonly mismatches: Uint8Array;
  readonly guessed: Uint8Array;
  readonly asked: Uint8Array;
  private seen = 0;
  private readonly set: Uint32Array;

  constructor(
    readonly domain: Domain,
    readonly threeWay = false,
  ) {
    if (!domain.truth) throw new Error(`domain ${domain.name} has no truth table`);
    this.mismatches = new Uint8Array(domain.candidates.length);
    this.guessed = new Uint8Array(domain.candidates.length);
    this.asked = new Uint8Array(domain.attributes.length);
    this.set = new Uint32Array(Math.ceil(domain.candidates.length / 32));
  }

  /** Takes in the turns not seen yet (turns only ever grow within a game). */
  update(turns: readonly Turn[]): this {
    const { domain } = this;
    const attributes = domain.attributes.length;
    const truth = domain.truth!;
    for (; this.seen < turns.length; this.seen++) {
      const { move, answer } = turns[this.seen]!;
      if (move.kind === 'guess') {
        const c = domain.candidateIndexOf(move.candidate);
        if (c !== undefined && answer === 'no') this.guessed[c] = 1;
      } else if (move.kind === 'question' && move.attribute !== undefined) {
        const a = domain.attributeIndexOf(move.attribute);
        if (a === undefined) continue;
        this.asked[a] = 1;
        if (this.threeWay) {
          const agreeing = answer === 'yes' ? YES : answer === 'no' ? NO : UNKNOWN;
          for (let c = 0; c < this.mismatches.length; c++) {
            if (truth[c * attributes + a] !== agreeing && this.mismatches[c]! < 255) this.mismatches[c]!++;
          }
          continue;
        }
        if (answer !== 'yes' && answer !== 'no') continue;
        const contradicting = answer === 'yes' ? NO : YES;
        for (let c = 0; c < this.mismatches.length; c++) {
          if (truth[c * attributes + a] === contradicting && this.mismatches[c]! < 255) this.mismatches[c]!++;
        }
      }
    }
    return this;
  }

  /** The candidates in play as a bitset (reused: valid until the next call), and how many there are. */
  consistent(): { set: Uint32Array; count: number } {
    const n = this.mismatches.length;
    const set = this.set.fill(0);
    let least = 255;
    for (let c = 0; c < n; c++) if (!this.guessed[c] && this.mismatches[c]! < least) least = this.mismatches[c]!;
    let count = 0;
    for (let c = 0; c < n; c++) {
      if (!this.guessed[c] && this.mismatches[c] === least) {
        set[c >> 5]! |= 1 << (c % 32);
        count++;
      }
    }
    return { set, count };
  }
}

/** Indices of the members of a bitset, in order. */
export function members(set: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < set.length; w++) {
    let bits = set[w]!;
    while (bits !== 0) {
      const low = bits & -bits;
      out.push(w * 32 + 31 - Math.clz32(low));
      bits ^= low;
    }
  }
  return out;
}

/** How many of the candidates in a set the truth table says yes (or no) to for an attribute. */
export function countWhere(masks: Uint32Array, words: number, set: Uint32Array, attribute: number): number {
  let n = 0;
  const base = attribute * words;
  for (let w = 0; w < words; w++) n += popcount(set[w]! & masks[base + w]!);
  return n;
}

/** How the candidates in play split on an attribute: yes, no, and unknown (marked unknown in the table). */
export function split(masks: TruthMasks, set: Uint32Array, count: number, attribute: number): { yes: number; no: number; unknown: number } {
  const yes = countWhere(masks.yes, masks.words, set, attribute);
  const no = countWhere(masks.no, masks.words, set, attribute);
  return { yes, no, unknown: count - yes - no };
}

/**
 * Expected information gain of asking an attribute, in bits: log2 of the candidates in play, less the
 * expected log2 of those left after the answer. A candidate whose fact is unknown stays in play
 * whatever the answer, and an `unknown` answer leaves everything in play; with no unknowns this is the
 * entropy of the answer.
 */
export function informationGain(n: number, yes: number, no: number, unknown: number): number {
  if (n <= 1) return 0;
  const after = (yes * log2(yes + unknown) + no * log2(no + unknown) + unknown * log2(n)) / n;
  return log2(n) - after;
}

/** The same when the answerer says "unknown" exactly on unknown facts: the entropy of a three-way split. */
export function informationGain3(n: number, yes: number, no: number, unknown: number): number {
  if (n <= 1) return 0;
  return log2(n) - (yes * log2(yes) + no * log2(no) + unknown * log2(unknown)) / n;
}

/** log2 of the small integers that candidate counts are, looked up rather than computed in the hot loop. */
const LOG2 = Float64Array.from({ length: 4096 }, (_, i) => (i <= 1 ? 0 : Math.log2(i)));

function log2(x: number): number {
  return x < LOG2.length ? LOG2[x]! : Math.log2(x);
}
