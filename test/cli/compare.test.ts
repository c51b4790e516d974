import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
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
    const [full, thirty] = readdirSync(join(dir, 'runs/quickstart'))
      .sort()
      .map((r) => join(dir, 'runs/quickstart', r, '01-evaluate')) as [string, string];
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

  it('takes every form its help shows: FILE, RUN/STAGE, @LABEL, @LABEL@ANSWERER, with .jsonl or without, an @ in a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-compare-'));
    const stage = '{games_per_animal: 1, policies: [infogain, optimal], answerers: [kb, {use: kb, with: {unknown: coin}, label: coin-kb}]}';
    expect(cli(['run', resolve('experiments/quickstart.yaml'), '--set', `stages.0.evaluate=${stage}`, '-w', '1'], dir).code).toBe(0);
    const [run] = readdirSync(join(dir, 'runs/quickstart')).map((r) => join(dir, 'runs/quickstart', r));
    const at = join(dir, 'copy@home');
    cpSync(run!, at, { recursive: true });
    const pairs = (a: string, b: string) => {
      const r = cli(['compare', a, b, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { pairs: number; questions_diff: number; baseline_avg_questions: number };
    };
    // the same policy against two answerers: coin-kb costs questions that kb's "unknown" saves
    const transfer = pairs(`${run}/01-evaluate@infogain@coin-kb`, `${run}/01-evaluate@infogain@kb`);
    expect(transfer.pairs).toBe(90);
    expect(transfer.baseline_avg_questions).toBeCloseTo(5.2, 10);
    expect(transfer.questions_diff).toBeGreaterThan(1);
    for (const [a, b] of [
      [`${run}/01-evaluate.jsonl@optimal@kb`, `${run}/01-evaluate@infogain@kb`],
      [`${at}/01-evaluate@optimal@kb`, `${at}/01-evaluate.jsonl@infogain@kb`],
    ])
      expect(pairs(a!, b!)).toMatchObject({ pairs: 90, questions_diff: 0 });
    // a label alone is not enough when the policy played several answerers; a path that is no file says the forms
    expect(cli(['compare', `${run}/01-evaluate@infogain`, `${run}/01-evaluate@optimal@kb`]).stderr).toMatch(/no games of "infogain" in .*; it holds infogain@kb, optimal@kb, infogain@coin-kb, optimal@coin-kb/);
    expect(cli(['compare', `${run}/nothing@infogain@kb`, `${run}/01-evaluate@optimal@kb`]).stderr).toMatch(/no games file .*nothing \(nor a stage of that name with games in its run directory\).*@LABEL@ANSWERER/);
  });
});
