import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder with package.json), found from this module whether it runs from source or dist/. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('twentyq: cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();

export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);

/** True when this code runs from TypeScript sources (tests, tsx) rather than the compiled dist/. */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/** twentyq's own folder for what it builds and caches (models, environments): $TWENTYQ_HOME, else ~/.cache/twentyq. */
export function twentyqHome(): string {
  return resolve(process.env.TWENTYQ_HOME || join(homedir(), '.cache', 'twentyq'));
}
