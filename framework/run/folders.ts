import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A folder for run directories that cannot be used: the message names the path and the fix. */
export class RunFolderError extends Error {}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENOENT: 'the system does not allow folders there',
};

function explain(folder: string, error: NodeJS.ErrnoException, what: string): RunFolderError {
  const why = WHY[error.code ?? ''] ?? error.code ?? error.message;
  return new RunFolderError(`${what}: cannot create a folder in ${folder} (${why}); choose a folder you can write to, e.g. --out runs`);
}

/**
 * Makes `path` and its missing parents one level at a time, each a plain mkdir. (Node's recursive mkdir
 * loops forever under /proc, and its raw ENOTDIR / EACCES names neither the culprit nor the fix.)
 * `what` says where the path came from, for the message (`--out /x`).
 */
export function makeFolders(path: string, what: string): void {
  const missing: string[] = [];
  let existing = resolve(path);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(existing).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way, found and reported one level up
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(existing) !== existing) {
        missing.unshift(existing);
        existing = dirname(existing);
        continue;
      }
      throw explain(dirname(existing), error as NodeJS.ErrnoException, what);
    }
    if (!isDir) throw new RunFolderError(`${what}: ${existing} is a file, not a folder; give a folder for the run directories, e.g. --out runs`);
    break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw explain(dirname(folder), error as NodeJS.ErrnoException, what);
    }
  }
}

/**
 * Creates a new folder in `parent` named `id`, or `id-2`, `id-3`, ... when that name is taken: the
 * final mkdir is exclusive, so processes started at the same instant never share a folder.
 */
export function makeUniqueFolder(parent: string, id: string, what: string): { path: string; id: string } {
  for (let n = 1; ; n++) {
    const name = n === 1 ? id : `${id}-${n}`;
    const path = join(parent, name);
    try {
      mkdirSync(path);
      return { path, id: name };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw explain(parent, error as NodeJS.ErrnoException, what);
    }
  }
}
