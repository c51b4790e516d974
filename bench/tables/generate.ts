/**
 * Writes the suite of generated tables that `npm run bench:tree` proves and the tests check against:
 * CSV tables in the `table` domain's format, from one seed, so that running it again writes the same
 * files. Four families, sized over the range the search is meant for (20-150 candidates, 10-100
 * questions): random cells, sparse columns (yes for 5-30% of the candidates, as most attributes of
 * real tables are), correlated columns (a hidden taxonomy), candidates that share every answer, and
 * many unknown cells.
 *
 *   npm run build && node dist/bench/tables/generate.js
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../framework/util/paths.js';
import { deriveSeed, Rng } from '../../framework/util/rng.js';

type Cell = 'y' | 'n' | 'u';

interface Spec {
  name: string;
  candidates: number;
  questions: number;
  make(rng: Rng, n: number, q: number): Cell[][];
}

/** Independent cells, yes with a probability drawn per column (about 0.5, within `spread`). */
function random(spread: number, unknown = 0, centre = 0.5) {
  return (rng: Rng, n: number, q: number): Cell[][] => {
    const p = Array.from({ length: q }, () => centre + (rng.next() - 0.5) * spread);
    return rows(n, q, (_, a) => (rng.next() < unknown ? 'u' : rng.next() < p[a]! ? 'y' : 'n'));
  };
}

/**
 * A hidden taxonomy: the candidates are the leaves of a random hierarchy; most columns are "belongs to
 * this branch" with some cells flipped (noise), the rest independent. Columns come out correlated and
 * some splits are far from even, as in tables people write.
 */
function correlated(noise: number, unknown = 0) {
  return (rng: Rng, n: number, q: number): Cell[][] => {
    const branches: number[][] = [];
    const split = (members: number[]): void => {
      if (members.length < 2) return;
      branches.push(members);
      const cut = 1 + rng.int(members.length - 1);
      split(members.slice(0, cut));
      split(members.slice(cut));
    };
    split(Array.from({ length: n }, (_, i) => i));
    const columns = Array.from({ length: q }, () => (rng.next() < 0.8 ? new Set(rng.pick(branches)) : undefined));
    return rows(n, q, (c, a) => {
      if (rng.next() < unknown) return 'u';
      const inBranch = columns[a] ? columns[a].has(c) : rng.next() < 0.5;
      return inBranch !== rng.next() < noise ? 'y' : 'n';
    });
  };
}

/** A table with `groups` candidates copied into several rows each: candidates that share every answer. */
function withDuplicates(base: (rng: Rng, n: number, q: number) => Cell[][], share: number) {
  return (rng: Rng, n: number, q: number): Cell[][] => {
    const distinct = Math.max(2, Math.round(n * (1 - share)));
    const table = base(rng, distinct, q);
    while (table.length < n) table.push([...table[rng.int(distinct)]!]);
    // interleaved, so that copies are not neighbours
    for (let i = table.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [table[i], table[j]] = [table[j]!, table[i]!];
    }
    return table;
  };
}

function rows(n: number, q: number, cell: (c: number, a: number) => Cell): Cell[][] {
  return Array.from({ length: n }, (_, c) => Array.from({ length: q }, (_, a) => cell(c, a)));
}

const SUITE: Spec[] = [
  { name: 'random-20x10', candidates: 20, questions: 10, make: random(0.6) },
  { name: 'random-30x20', candidates: 30, questions: 20, make: random(0.6) },
  { name: 'random-50x85', candidates: 50, questions: 85, make: random(0.6) },
  { name: 'random-60x40', candidates: 60, questions: 40, make: random(0.8) },
  { name: 'random-90x71', candidates: 90, questions: 71, make: random(0.6) },
  { name: 'random-101x28', candidates: 101, questions: 28, make: random(0.8) },
  { name: 'random-120x60', candidates: 120, questions: 60, make: random(0.6) },
  { name: 'random-150x100', candidates: 150, questions: 100, make: random(0.6) },
  { name: 'sparse-100x40', candidates: 100, questions: 40, make: random(0.25, 0, 0.175) },
  { name: 'sparse-150x100', candidates: 150, questions: 100, make: random(0.25, 0, 0.175) },
  { name: 'taxonomy-25x15', candidates: 25, questions: 15, make: correlated(0.05) },
  { name: 'taxonomy-40x30', candidates: 40, questions: 30, make: correlated(0.05) },
  { name: 'taxonomy-50x85', candidates: 50, questions: 85, make: correlated(0.08) },
  { name: 'taxonomy-70x50', candidates: 70, questions: 50, make: correlated(0.03) },
  { name: 'taxonomy-90x71', candidates: 90, questions: 71, make: correlated(0.05) },
  { name: 'taxonomy-110x40', candidates: 110, questions: 40, make: correlated(0.1) },
  { name: 'taxonomy-130x90', candidates: 130, questions: 90, make: correlated(0.05) },
  { name: 'taxonomy-150x100', candidates: 150, questions: 100, make: correlated(0.08) },
  { name: 'shared-20x10', candidates: 20, questions: 10, make: withDuplicates(random(0.6), 0.3) },
  { name: 'shared-45x16', candidates: 45, questions: 16, make: withDuplicates(correlated(0.05), 0.2) },
  { name: 'shared-60x30', candidates: 60, questions: 30, make: withDuplicates(random(0.6), 0.15) },
  { name: 'shared-101x28', candidates: 101, questions: 28, make: withDuplicates(correlated(0.05), 0.15) },
  { name: 'shared-120x12', candidates: 120, questions: 12, make: correlated(0.1) },
  { name: 'shared-150x20', candidates: 150, questions: 20, make: withDuplicates(correlated(0.08), 0.1) },
  { name: 'shared-150x60', candidates: 150, questions: 60, make: withDuplicates(random(0.6), 0.25) },
  { name: 'shared-80x100', candidates: 80, questions: 100, make: withDuplicates(correlated(0.05), 0.1) },
  { name: 'unknown-20x10', candidates: 20, questions: 10, make: random(0.6, 0.25) },
  { name: 'unknown-35x25', candidates: 35, questions: 25, make: correlated(0.05, 0.2) },
  { name: 'unknown-50x30', candidates: 50, questions: 30, make: random(0.6, 0.3) },
  { name: 'unknown-75x60', candidates: 75, questions: 60, make: correlated(0.05, 0.15) },
  { name: 'unknown-90x71', candidates: 90, questions: 71, make: correlated(0.05, 0.1) },
  { name: 'unknown-100x50', candidates: 100, questions: 50, make: random(0.6, 0.4) },
  { name: 'unknown-140x80', candidates: 140, questions: 80, make: withDuplicates(correlated(0.05, 0.2), 0.1) },
  { name: 'unknown-150x100', candidates: 150, questions: 100, make: random(0.6, 0.2) },
];

const SEED = 17;
const dir = packagePath('bench', 'tables');
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.csv')) rmSync(join(dir, file));
for (const spec of SUITE) {
  const rng = new Rng(deriveSeed(SEED, spec.name));
  const table = spec.make(rng, spec.candidates, spec.questions);
  const header = ['thing', ...Array.from({ length: spec.questions }, (_, a) => `Q${a + 1}?`)];
  const lines = [header.join(','), ...table.map((row, c) => [`c${String(c + 1).padStart(3, '0')}`, ...row].join(','))];
  writeFileSync(join(dir, `${spec.name}.csv`), lines.join('\n') + '\n');
}
console.log(`wrote ${SUITE.length} tables to ${dir}`);
