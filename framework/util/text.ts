/** Text normalisation shared by the move parser, candidate names and the attribute matcher. */

const IRREGULAR_PLURALS: Record<string, string> = {
  mice: 'mouse',
  geese: 'goose',
  teeth: 'tooth',
  feet: 'foot',
  children: 'child',
  people: 'person',
  octopi: 'octopus',
  octopuses: 'octopus',
  wolves: 'wolf',
  calves: 'calf',
  halves: 'half',
  leaves: 'leaf',
  hooves: 'hoof',
  knives: 'knife',
  lives: 'life',
  wives: 'wife',
  oxen: 'ox',
  fungi: 'fungus',
};

/** Words whose final s is not a plural ending. */
const NOT_PLURAL = new Set([
  'is',
  'was',
  'has',
  'does',
  'this',
  'its',
  'his',
  'us',
  'yes',
  'as',
  'gas',
  'bus',
  'plus',
  'always',
  'less',
  'octopus',
  'platypus',
  'hippopotamus',
  'rhinoceros',
  'walrus',
  'grass',
  'glass',
  'moss',
  'species',
  'series',
  'news',
  'fungus',
  'cactus',
  'famous',
  'venomous',
  'poisonous',
  'dangerous',
  'nocturnal',
  'across',
  'chess',
]);

/** Singular form of an English word, by the usual rules; good enough for animal names and attributes. */
export function singular(word: string): string {
  const irregular = IRREGULAR_PLURALS[word];
  if (irregular) return irregular;
  if (word.length <= 3 || NOT_PLURAL.has(word) || word.endsWith('ss') || word.endsWith('us')) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (/(?:ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('oes')) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** Lower-case words of a text: letters and digits only, accents removed, British/American spelling merged. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/colour/g, 'color')
    .replace(/grey/g, 'gray')
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

const ARTICLES = new Set(['a', 'an', 'the', 'some']);

/** A name reduced for comparison: lower case, no articles, punctuation or spaces, each word singular. */
export function nameKey(text: string): string {
  return words(text)
    .filter((w) => !ARTICLES.has(w))
    .map(singular)
    .join('');
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest of some names to a word, when it is close enough to be a likely typo. */
export function nearest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
