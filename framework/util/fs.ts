import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temporary name beside `file`: in the same folder, so that the rename stays on one file system. */
function temporaryBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
}

const TEMPORARY = /^\..+\.(\d+)\.tmp$/;

/**
 * Removes the temporary files that other processes left in a folder (a kill -9 in the middle of an
 * atomic write). Only for a folder this process holds the lock of: no one else can be writing there.
 * Returns the names removed.
 */
export function removeLeftoverTemporaries(dir: string): string[] {
  const left = readdirSync(dir).filter((name) => Number(TEMPORARY.exec(name)?.[1] ?? process.pid) !== process.pid);
  for (const name of left) rmSync(join(dir, name), { force: true });
  return left;
}

/** Writes all of `data` at the file position; a short write (a full disk) goes on or throws, never stops half way silently. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  let bytes = typeof data === 'string' ? Buffer.from(data) : data;
  while (bytes.length > 0) {
    const written = writeSync(fd, bytes);
    bytes = bytes.subarray(written);
  }
}

/**
 * A file written whole or not at all: the content goes to a temporary file in the same folder, is
 * flushed to disk, and replaces `file` by a rename. A failure (a full disk, a bad row found half way)
 * leaves what was at `file` before as it was.
 */
export class AtomicFile {
  private readonly temporary: string;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.temporary = temporaryBeside(path);
    this.fd = openSync(this.temporary, 'w');
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    writeAll(this.fd, data);
  }

  /** Puts the content in place. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
    renameSync(this.temporary, this.path);
  }

  /** Drops the content; `path` keeps what it held. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temporary, { force: true });
  }
}

/** writeFileSync, but atomic: see AtomicFile. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const out = new AtomicFile(file);
  try {
    out.write(data);
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  }
}
