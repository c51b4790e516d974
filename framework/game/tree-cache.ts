import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { Domain } from './domain.js';
import { searchTree, type SearchControl, type TreeBound, type TreeOptions } from './tree.js';

/** Bumped when the search or the file's shape changes, so that old trees are not read. */
const VERSION = 2;

/** `$TWENTYQ_TREES`, else `$XDG_CACHE_HOME/twentyq/trees`, else `~/.cache/twentyq/trees`. */
export function treeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TWENTYQ_TREES || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'twentyq', 'trees');
}

/** What a tree depends on: the domain's candidates, questions and table, the rules, the semantics, the targets, the question budget. */
function treeKey(domain: Domain, options: TreeOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([VERSION, domain.candidates.map((c) => c.id), domain.attributes.map((a) => a.id), options.rule, options.semantics, options.targets ?? null, options.maxQuestions ?? null]));
  if (domain.truth) hash.update(domain.truth);
  return hash.digest('hex').slice(0, 32);
}

function read(file: string): TreeBound | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TreeBound;
  } catch {
    // a damaged cache file is computed again and replaced
    return undefined;
  }
}

/**
 * The optimal tree, searched once per domain, rules, semantics and targets and kept on disk (written
 * whole, then renamed, so that workers reading it at once never read half a file). A proved tree is
 * kept for good; one cut short by the time limit is kept under that limit, so that every worker of a
 * run, and the runs after it on this machine, play the same tree (a longer limit searches again).
 */
export async function cachedTree(domain: Domain, options: TreeOptions & SearchControl, dir = treeCacheDir()): Promise<TreeBound> {
  const base = join(dir, `${domain.name.replace(/[^\w.-]/g, '_')}-${options.rule}-${options.semantics}-${treeKey(domain, options)}`);
  const limited = options.timeLimitMs === undefined ? undefined : `${base}-${Math.round(options.timeLimitMs)}ms.json`;
  const known = read(`${base}.json`) ?? (limited ? read(limited) : undefined);
  if (known) return known;
  const bound = await searchTree(domain, options);
  const file = bound.proved ? `${base}.json` : limited;
  if (file) {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(bound));
    } catch {
      // a cache that cannot be written (a read-only home) costs only time
    }
  }
  return bound;
}
