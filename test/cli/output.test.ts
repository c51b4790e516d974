import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// What a user reads when a pipeline runs: the built binary in a child process.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

describe('a run as a user reads it', () => {
  it('prints the audit once, and success as a percentage in every stage', () => {
    const out = mkdtempSync(join(tmpdir(), 'twentyq-output-'));
    const r = spawnSync(process.execPath, [BIN, 'run', 'test/fixtures/mini-pipeline.yaml', '--out', out, '--workers', '1', '--progress', 'lines'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all.match(/answers contradicting the truth table/g)).toHaveLength(1);
    expect(all.match(/\d+ games, \d+ wins \(/g)).toHaveLength(1);
    expect(all).toContain('02-audit, audit of the games of stage games:');
    // GRPO's running success reads like every other success figure
    expect(all).toMatch(/grpo: .*success \d+\.\d%/);
    expect(all).not.toMatch(/success [01](,|$)/m);
  });
});
