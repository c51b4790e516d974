import { nameKey } from '../util/text.js';
import type { Answer } from './types.js';

export interface Candidate {
  id: string;
  name: string;
  aliases: readonly string[];
}

export interface Attribute {
  id: string;
  question: string;
  paraphrases: readonly string[];
  group?: string;
}

/** Truth values as stored in a table: one byte per (candidate, attribute). */
export const NO = 0;
export const YES = 1;
export const UNKNOWN = 2;
const ANSWERS: readonly Answer[] = ['no', 'yes', 'unknown'];

export interface DomainData {
  name: string;
  /** What a candidate is called in prompts ("animal"); "thing" when absent. */
  noun?: string;
  /** The noun's plural ("animals"); by the usual English rule when absent. */
  plural?: string;
  /** The noun's article, "a" or "an"; by its first letter when absent. */
  article?: string;
  candidates: readonly Candidate[];
  attributes: readonly Attribute[];
  /** Row-major [candidate][attribute] values NO / YES / UNKNOWN; absent when the domain has no truth table. */
  truth?: Uint8Array;
}

/**
 * The closed set of things to guess and the questions known about them. Built once per process by the
 * domain plugin; everything here is read-only afterwards.
 */
export class Domain {
  readonly name: string;
  readonly noun: string;
  readonly plural: string;
  /** "an animal", "a fruit" */
  readonly aNoun: string;
  readonly candidates: readonly Candidate[];
  readonly attributes: readonly Attribute[];
  readonly truth: Uint8Array | undefined;
  private readonly candidateIndex = new Map<string, number>();
  private readonly attributeIndex = new Map<string, number>();
  private readonly nameIndex = new Map<string, number>();

  constructor(data: DomainData) {
    this.name = data.name;
    this.noun = data.noun ?? 'thing';
    this.plural = data.plural ?? pluralOf(this.noun);
    this.aNoun = data.article ? `${data.article} ${this.noun}` : withArticle(this.noun);
    this.candidates = data.candidates;
    this.attributes = data.attributes;
    this.truth = data.truth;
    if (this.truth && this.truth.length !== this.candidates.length * this.attributes.length) {
      throw new Error(`domain ${this.name}: truth table has ${this.truth.length} cells, expected ${this.candidates.length} x ${this.attributes.length}`);
    }
    this.candidates.forEach((c, i) => {
      if (this.candidateIndex.has(c.id)) throw new Error(`domain ${this.name}: duplicate candidate id "${c.id}"`);
      this.candidateIndex.set(c.id, i);
      for (const name of [c.name, c.id.replace(/_/g, ' '), ...c.aliases]) {
        const key = nameKey(name);
        const other = this.nameIndex.get(key);
        if (other !== undefined && other !== i) {
          throw new Error(`domain ${this.name}: the name "${name}" of "${c.id}" is also a name of "${this.candidates[other]!.id}"`);
        }
        this.nameIndex.set(key, i);
      }
    });
    this.attributes.forEach((a, i) => {
      if (this.attributeIndex.has(a.id)) throw new Error(`domain ${this.name}: duplicate attribute id "${a.id}"`);
      this.attributeIndex.set(a.id, i);
    });
  }

  get size(): number {
    return this.candidates.length;
  }

  candidateIndexOf(id: string): number | undefined {
    return this.candidateIndex.get(id);
  }

  attributeIndexOf(id: string): number | undefined {
    return this.attributeIndex.get(id);
  }

  candidate(id: string): Candidate {
    const i = this.candidateIndex.get(id);
    if (i === undefined) throw new Error(`domain ${this.name} has no candidate "${id}"`);
    return this.candidates[i]!;
  }

  /** The candidate a name or alias refers to, ignoring case, articles, punctuation and plurals. */
  findCandidate(name: string): Candidate | undefined {
    const i = this.nameIndex.get(nameKey(name));
    return i === undefined ? undefined : this.candidates[i];
  }

  /** The truth-table answer for a candidate and an attribute, by index. */
  fact(candidate: number, attribute: number): Answer {
    if (!this.truth) throw new Error(`domain ${this.name} has no truth table`);
    return ANSWERS[this.truth[candidate * this.attributes.length + attribute]!]!;
  }
}

/** "fruit" -> "fruits", "species" stays, "box" -> "boxes", "berry" -> "berries". */
function pluralOf(noun: string): string {
  if (/(?:s|x|z|ch|sh)$/i.test(noun)) return /(?:ss|x|z|ch|sh)$/i.test(noun) ? `${noun}es` : noun;
  if (/[^aeiou]y$/i.test(noun)) return `${noun.slice(0, -1)}ies`;
  return `${noun}s`;
}

/** A domain from its data (a domain plugin's `create`): ids and names are checked to be unique. */
export function createDomain(data: DomainData): Domain {
  return new Domain(data);
}

/** "a giraffe" / "an owl" */
export function withArticle(name: string): string {
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** "Is it a giraffe?" / "Is it an owl?" */
export function guessQuestion(candidate: Candidate): string {
  return `Is it ${withArticle(candidate.name)}?`;
}
