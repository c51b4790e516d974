/**
 * Benchmark: the exact tree search on the suite of generated tables (bench/tables, written by
 * bench/tables/generate.ts) and on animals90. For every table, both wrong-guess rules, under `say`
 * (the kb answerer's default); tables with unknown cells also under `coin`. Prints per search the
 * time, whether the optimum was proved, the optimum (or the best tree and the proved lower bound), and
 * the gap to the information-gain expert's tree, then the median and the most time of the `say`
 * searches (the target: every one proved, median <= 1 s, none over 10 s) and of the `coin` ones.
 *
 *   npm run bench:tree            (LIMIT=30 npm run bench:tree: seconds per search, default 10)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Domain } from '../framework/game/domain.js';
import { UNKNOWN } from '../framework/game/domain.js';
import { optimalTree, type Semantics, type TreeBound } from '../framework/game/tree.js';
import type { WrongGuessRule } from '../framework/game/types.js';
import { formatTable } from '../framework/metrics/table.js';
import { packagePath } from '../framework/util/paths.js';
import { ANIMALS90_FILE } from '../plugins/domains/animals90/index.js';
import { loadTable } from '../plugins/domains/table/index.js';

const LIMIT_S = Number(process.env.LIMIT ?? 10);
const dir = packagePath('bench', 'tables');
const tables: { name: string; domain: Domain }[] = readdirSync(dir)
  .filter((f) => f.endsWith('.csv'))
  .sort()
  .map((f) => ({ name: f.replace(/\.csv$/, ''), domain: loadTable(join(dir, f)) }));
tables.push({ name: 'animals90', domain: loadTable(ANIMALS90_FILE) });

function twins(domain: Domain): number {
  const A = domain.attributes.length;
  const rows = new Map<string, number>();
  for (let c = 0; c < domain.size; c++) {
    const key = domain.truth!.subarray(c * A, (c + 1) * A).join('');
    rows.set(key, (rows.get(key) ?? 0) + 1);
  }
  return domain.size - rows.size;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const rows: string[][] = [];
const results: { semantics: Semantics; bound: TreeBound }[] = [];
for (const { name, domain } of tables) {
  const unknown = domain.truth!.filter((v) => v === UNKNOWN).length / domain.truth!.length;
  const semantics: Semantics[] = unknown > 0 ? ['say', 'coin'] : ['say'];
  for (const s of semantics) {
    for (const rule of ['continue', 'lose'] as WrongGuessRule[]) {
      const b = optimalTree(domain, { rule, semantics: s, timeLimitMs: LIMIT_S * 1000 });
      results.push({ semantics: s, bound: b });
      rows.push([
        name,
        `${domain.size}x${domain.attributes.length}`,
        String(twins(domain)),
        `${(unknown * 100).toFixed(0)}%`,
        rule,
        s,
        (b.ms / 1000).toFixed(2),
        b.proved ? 'exact' : 'time limit',
        b.mean.toFixed(4),
        b.proved ? '' : b.lower.toFixed(4),
        b.greedy.toFixed(4),
        `${(((b.greedy - b.mean) / b.mean) * 100).toFixed(2)}%`,
        String(b.states),
      ]);
      process.stderr.write('.');
    }
  }
}
process.stderr.write('\n');
console.log(formatTable(['table', 'size', 'twins', 'unknown', 'wrong_guess', 'semantics', 'seconds', 'proof', 'mean questions', 'lower bound', 'greedy', 'greedy above', 'sets'], rows));
for (const s of ['say', 'coin'] as Semantics[]) {
  const mine = results.filter((r) => r.semantics === s).map((r) => r.bound);
  if (mine.length === 0) continue;
  const seconds = mine.map((b) => b.ms / 1000);
  console.log(
    `\n${s}: ${mine.filter((b) => b.proved).length} of ${mine.length} searches proved within ${LIMIT_S} s; median ${median(seconds).toFixed(2)} s, max ${Math.max(...seconds).toFixed(2)} s (one core, after Node's start and the tables' loading).`,
  );
}
