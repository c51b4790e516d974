import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * The most an experiment file may weigh. Real ones are a few kilobytes; parsing YAML with positions
 * costs about 35 times the file in memory, so a 50 MB file took 45 s and 1.75 GB before any check.
 */
export const MAX_EXPERIMENT_BYTES = 1024 * 1024;

function fail(file: string, line: number, col: number, message: string): never {
  throw new ConfigError([{ file, line, col, ...(line === 0 ? { origin: file } : {}), path: '', message }]);
}

function decodes(bytes: Uint8Array, stream: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream });
    return true;
  } catch {
    return false;
  }
}

/** The offset of the first byte that is not valid UTF-8: where the character it belongs to starts. */
function firstBadByte(bytes: Uint8Array): number {
  // The longest prefix that is valid, allowing it to end inside a character...
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (decodes(bytes.subarray(0, mid), true)) lo = mid;
    else hi = mid - 1;
  }
  if (decodes(bytes.subarray(0, lo), false)) return lo;
  // ...and when it does, the character that was cut short is the bad one: back to its lead byte.
  let at = lo - 1;
  while (at > 0 && (bytes[at]! & 0xc0) === 0x80) at--;
  return at;
}

/**
 * The text of an experiment file: at most MAX_EXPERIMENT_BYTES, and UTF-8 (YAML's encoding), so
 * that Latin-1 bytes are reported at their line rather than silently replaced.
 */
export function readExperimentText(file: string): string {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_EXPERIMENT_BYTES) {
      fail(file, 0, 0, `the experiment file is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_EXPERIMENT_BYTES / 1024 / 1024} MB (an experiment is a few kilobytes of YAML: keep data in files that its plugins read)`);
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail(file, 0, 0, `cannot read the experiment file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstBadByte(bytes);
    const lineStart = bad === 0 ? 0 : bytes.lastIndexOf(0x0a, bad - 1) + 1;
    const line = bytes.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
    const col = new TextDecoder().decode(bytes.subarray(lineStart, bad)).length + 1;
    fail(file, line, col, `the file is not UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} is not valid UTF-8 here (Latin-1 text?); save the file as UTF-8`);
  }
}
