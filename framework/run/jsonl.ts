import { closeSync, openSync } from 'node:fs';
import { writeAll } from '../util/fs.js';

/** Appends text to a file with a synchronous write per call: what is written is on disk. */
export class JsonlWriter {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    flags: 'a' | 'w' = 'a',
  ) {
    this.fd = openSync(path, flags);
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    writeAll(this.fd, data);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
