import { singular, words } from '../util/text.js';
import type { Attribute } from './domain.js';

/** Words that carry no meaning for telling attributes apart. */
const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'is',
  'it',
  'its',
  'this',
  'that',
  'does',
  'do',
  'did',
  'can',
  'could',
  'would',
  'will',
  'be',
  'are',
  'of',
  'have',
  'has',
  'got',
  'kind',
  'type',
  'sort',
  'animal',
  'creature',
  'thing',
  'your',
  'you',
  'usually',
  'typically',
  'normally',
  'generally',
  'really',
  'very',
  'ever',
  'please',
  'ok',
  'okay',
  'so',
  'mostly',
  'often',
  'any',
  'some',
  'well',
  'that',
  'which',
  'also',
  'still',
]);

function stem(word: string): string {
  const w = singular(word);
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  return w;
}

/** Content words of a question, reduced to stems. */
export function contentTerms(text: string): string[] {
  return [
    ...new Set(
      words(text)
        .filter((w) => !STOPWORDS.has(w))
        .map(stem),
    ),
  ];
}

export interface AttributeMatch {
  attribute: string;
  score: number;
  /** The phrasing that matched best. */
  phrasing: string;
}

/**
 * Matches a free-form question to an attribute through the attribute's phrasings: cosine similarity of
 * IDF-weighted content words. Words the matcher has never seen weigh as much as the rarest known word,
 * so a question about something the domain does not know scores low and gets `unknown`.
 */
export class AttributeMatcher {
  private readonly idf = new Map<string, number>();
  private readonly unseenIdf: number;
  private readonly phrasings: { attribute: string; text: string; terms: string[]; norm: number }[] = [];

  constructor(
    attributes: readonly Attribute[],
    readonly threshold = 0.6,
  ) {
    const all = attributes.flatMap((a) => [a.question, ...a.paraphrases].map((text) => ({ attribute: a.id, text, terms: contentTerms(text) })));
    const df = new Map<string, number>();
    for (const p of all) for (const t of p.terms) df.set(t, (df.get(t) ?? 0) + 1);
    for (const [t, n] of df) this.idf.set(t, Math.log(1 + all.length / n));
    this.unseenIdf = Math.log(1 + all.length);
    for (const p of all) this.phrasings.push({ ...p, norm: Math.sqrt(this.weight(p.terms)) });
  }

  private weight(terms: readonly string[]): number {
    let sum = 0;
    for (const t of terms) sum += (this.idf.get(t) ?? this.unseenIdf) ** 2;
    return sum;
  }

  /** The best-matching attribute, or undefined when nothing matches well enough. */
  match(question: string): AttributeMatch | undefined {
    const best = this.rank(question)[0];
    return best && best.score >= this.threshold ? best : undefined;
  }

  /** Every attribute's best score for a question, highest first. */
  rank(question: string): AttributeMatch[] {
    const terms = contentTerms(question);
    if (terms.length === 0) return [];
    const queryNorm = Math.sqrt(this.weight(terms));
    const query = new Set(terms);
    const best = new Map<string, AttributeMatch>();
    for (const p of this.phrasings) {
      let dot = 0;
      for (const t of p.terms) if (query.has(t)) dot += this.idf.get(t)! ** 2;
      const score = dot / (queryNorm * p.norm || 1);
      const current = best.get(p.attribute);
      if (!current || score > current.score) best.set(p.attribute, { attribute: p.attribute, score, phrasing: p.text });
    }
    return [...best.values()].sort((a, b) => b.score - a.score);
  }
}
