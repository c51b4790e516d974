import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const cli = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('twentyq compare', () => {
  it('pairs two policies of a stage, and two stages by target; refuses games of other targets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-compare-'));
    const quickstart = resolve('experiments/quickstart.yaml');
    expect(cli(['run', quickstart, '--set', 'stages.0.evaluate.games_per_animal=2', '-w', '1'], dir).code).toBe(0);
    expect(cli(['run', quickstart, '--set', 'stages.0.evaluate={games: 30, policies: [infogain]}', '-w', '1'], dir).code).toBe(0);
    const [full, thirty] = readdirSync(join(dir, 'runs/quickstart')).sort().map((r) => join(dir, 'runs/quickstart', r, '01-evaluate')) as [string, string];
    const r = cli(['compare', `${full}@random`, `${full}@infogain`, '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.pairs).toBe(180);
    expect(c.wins_only_baseline).toBeGreaterThan(100);
    expect(c.wins_only_policy).toBe(0);
    expect(c.mcnemar_p).toBeLessThan(1e-20);
    expect(c.questions_diff_ci[0]).toBeGreaterThan(10);
    expect(c.largest_differences).toHaveLength(10);
    const text = cli(['compare', `${full}@infogain-noisy`, `${full}@infogain`]).stdout;
    expect(text).toMatch(/avg questions\s+\d\.\d{3}\s+5\.200\s+\+\d\.\d{3}\s+95% CI/);
    expect(text).toContain('where they differ most');
    // a file of three policies needs a label; different targets cannot be paired
    expect(cli(['compare', full, `${full}@infogain`]).stderr).toMatch(/holds the games of 3 policies \(random, infogain, infogain-noisy\); name one/);
    const refused = cli(['compare', `${thirty}@infogain`, `${full}@infogain`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot compare: .* did not play the same targets, so their games cannot be paired: \w+: 1 games in .*, 2 in/);
  });
});
