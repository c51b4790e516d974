import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { Domain } from './domain.js';
import { optimalTree, type TreeBound, type TreeOptions } from './tree.js';

/** Bumped when the search or the file's shape changes, so that old trees are not read. */
const VERSION = 1;

/** `$TWENTYQ_TREES`, else `$XDG_CACHE_HOME/twentyq/trees`, else `~/.cache/twentyq/trees`. */
export function treeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TWENTYQ_TREES || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'twentyq', 'trees');
}

/** What a tree depends on: the domain's candidates, questions and table, the rules, the semantics, the targets. */
function treeKey(domain: Domain, options: TreeOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([VERSION, domain.candidates.map((c) => c.id), domain.attributes.map((a) => a.id), options.rule, options.semantics, options.targets ?? null]));
  if (domain.truth) hash.update(domain.truth);
  return hash.digest('hex').slice(0, 32);
}

/**
 * The optimal tree, computed once per domain, rules, semantics and targets and kept on disk (written
 * whole, then renamed, so that workers computing it at once never read half a file). Only a proved
 * tree is kept: one cut short by a time limit is computed again next time.
 */
export function cachedTree(domain: Domain, options: TreeOptions, dir = treeCacheDir()): TreeBound {
  const file = join(dir, `${domain.name.replace(/[^\w.-]/g, '_')}-${options.rule}-${options.semantics}-${treeKey(domain, options)}.json`);
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as TreeBound;
    } catch {
      // a damaged cache file is computed again and replaced
    }
  }
  const bound = optimalTree(domain, options);
  if (bound.proved) {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(bound));
    } catch {
      // a cache that cannot be written (a read-only home) costs only time
    }
  }
  return bound;
}
