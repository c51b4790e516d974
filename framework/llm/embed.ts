import { createHash } from 'node:crypto';
import { canonicalJson } from './cache.js';

/**
 * The local embedding `twentyq serve` answers /v1/embeddings with (model `embed:hash`): a hashed bag of
 * the lower-cased word unigrams and bigrams of the text in HASH_DIMS dimensions, each feature adding +1
 * or -1 (the hash's sign bit) to its bucket, L2-normalised. Deterministic, no model download: it stands
 * in for a real embedding model so that the report's embedding cosine can be run and tested anywhere.
 */
export const HASH_MODEL = 'embed:hash';
export const HASH_DIMS = 256;

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Characters of text tokenised at a time by hashEmbeddingSteps (a slice takes well under a millisecond). */
const SLICE = 16 * 1024;
const WORD = /[\p{L}\p{N}']+/gu;
const WORD_CHAR = /[\p{L}\p{N}']/u;

/** Whether a cut before `at` would split a word (or a surrogate pair). */
function continuesWord(text: string, at: number): boolean {
  const unit = text.charCodeAt(at);
  if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(at)!));
}

/**
 * hashEmbedding in steps: the text is tokenised a slice at a time (cut where no word goes on across the
 * cut, the last word carried over for the bigram), yielding after each slice, so that a server can
 * give other requests a turn within one long text. The result is exactly hashEmbedding's.
 */
export function* hashEmbeddingSteps(text: string, dims = HASH_DIMS): Generator<void, number[]> {
  const v = new Array<number>(dims).fill(0);
  const add = (feature: string) => {
    const h = fnv1a(feature);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  };
  const lower = text.toLowerCase();
  let previous: string | undefined;
  for (let start = 0; start < lower.length;) {
    let end = Math.min(lower.length, start + SLICE);
    while (end < lower.length && continuesWord(lower, end)) end++;
    for (const token of lower.slice(start, end).match(WORD) ?? []) {
      add(token);
      if (previous !== undefined) add(`${previous} ${token}`);
      previous = token;
    }
    start = end;
    if (start < lower.length) yield;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

export function hashEmbedding(text: string, dims = HASH_DIMS): number[] {
  const steps = hashEmbeddingSteps(text, dims);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`cosine: the vectors have ${a.length} and ${b.length} dimensions`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}

/** The response cache's key of an embeddings request: the endpoint, the model and the inputs. */
export function embeddingsCacheKey(endpoint: string, model: string, input: readonly string[]): string {
  return createHash('sha256')
    .update(canonicalJson({ v: 1, kind: 'embeddings', endpoint: endpoint.replace(/\/+$/, ''), model, input }))
    .digest('hex');
}
