import { describe, expect, it } from 'vitest';
import { HASH_DIMS, hashEmbedding, hashEmbeddingSteps } from '../../framework/llm/embed.js';
import { Rng } from '../../framework/util/rng.js';

/** The embedding as first written (one pass over the whole text): the stepped version must equal it. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
function onePass(text: string): number[] {
  const v = new Array<number>(HASH_DIMS).fill(0);
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  for (const f of [...tokens, ...tokens.slice(1).map((t, i) => `${tokens[i]} ${t}`)]) {
    const h = fnv1a(f);
    v[h % HASH_DIMS]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

describe('hashEmbedding in steps', () => {
  it('equals the one-pass embedding on long texts cut into slices, words and surrogate pairs never split', () => {
    const rng = new Rng(5);
    // letters, digits, apostrophes, astral letters (𝐀: a surrogate pair that is a letter), emoji, spaces
    const pieces = ['zebra', "it's", 'Ünïcode', '𝐀𝐁𝐂', '🦓', '42', ' ', '  ', '\n', '?', '-', 'a'.repeat(20_000)];
    for (let k = 0; k < 4; k++) {
      const text = Array.from({ length: 1_500 }, () => rng.pick(pieces)).join(rng.next() < 0.5 ? '' : ' ');
      const steps = hashEmbeddingSteps(text);
      let slices = 1;
      let step = steps.next();
      while (!step.done) {
        slices++;
        step = steps.next();
      }
      expect(step.value).toEqual(onePass(text));
      expect(hashEmbedding(text)).toEqual(onePass(text));
      expect(slices).toBeGreaterThan(2);
    }
    expect(hashEmbedding('')).toEqual(onePass(''));
    expect(hashEmbedding('Does it have stripes?')).toEqual(onePass('Does it have stripes?'));
  });
});
