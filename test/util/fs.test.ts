import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFile, removeLeftoverTemporaries, writeFileAtomic } from '../../framework/util/fs.js';

// A disk that fills up: once armed, a write puts down a few bytes and then fails with ENOSPC.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: Uint8Array) => {
    if (!disk.full) return real.writeSync(fd, data);
    real.writeSync(fd, data.subarray(0, 5));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof real.writeSync;
  return { ...real, default: { ...real, writeSync }, writeSync };
});

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-fs-'));

describe('files written whole or not at all', () => {
  it('leaves the old content in place when the disk fills up half way, and no temporary file', () => {
    const dir = tmp();
    const file = join(dir, 'metrics.json');
    writeFileSync(file, '{"stages": {}}\n');
    disk.full = true;
    try {
      expect(() => writeFileAtomic(file, JSON.stringify({ stages: { a: 1, b: 2 } }))).toThrow(/ENOSPC/);
    } finally {
      disk.full = false;
    }
    expect(readFileSync(file, 'utf8')).toBe('{"stages": {}}\n');
    expect(readdirSync(dir)).toEqual(['metrics.json']);
    writeFileAtomic(file, '{"stages": {"a": 1}}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"stages": {"a": 1}}\n');
    expect(readdirSync(dir)).toEqual(['metrics.json']);
  });

  it('shows nothing at the path until committed, and nothing changes when aborted', () => {
    const dir = tmp();
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, 'precious\n');
    const out = new AtomicFile(file);
    out.write('a\n');
    out.write(Buffer.from('b\n'));
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
    out.abort();
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir)).toEqual(['rows.jsonl']);
    const again = new AtomicFile(file);
    again.write('a\n');
    again.commit();
    expect(readFileSync(file, 'utf8')).toBe('a\n');
    expect(readdirSync(dir)).toEqual(['rows.jsonl']);
  });

  it('removes the temporary files other processes left behind, and nothing else', () => {
    const dir = tmp();
    for (const name of ['.run.json.12345.tmp', '.metrics.json.7.tmp', `.run.json.${process.pid}.tmp`, 'run.json', 'games.jsonl', '.hidden', 'x.12.tmp']) writeFileSync(join(dir, name), '');
    expect(removeLeftoverTemporaries(dir).sort()).toEqual(['.metrics.json.7.tmp', '.run.json.12345.tmp']);
    expect(readdirSync(dir).sort()).toEqual([`.run.json.${process.pid}.tmp`, '.hidden', 'games.jsonl', 'run.json', 'x.12.tmp'].sort());
  });
});
