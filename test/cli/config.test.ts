import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The CLI as a user runs it: the built binary (npm test builds first), in a child process.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-config-cli-'));

describe('configs of games files and of runs, from the command line', () => {
  const out = tmp();
  const made = cli(['run', 'experiments/quickstart.yaml', '--out', out, '--workers', '1', '--progress', 'none', '--set', 'stages.0.evaluate.games_per_animal=1']);
  const run = join(out, 'quickstart', readdirSync(join(out, 'quickstart'))[0]!);
  const games = join(run, '01-evaluate.jsonl');

  /** The games file alone in a folder, beside a config.yaml that is not its run's. */
  function stray(config: string): string {
    const dir = tmp();
    copyFileSync(games, join(dir, 'games.jsonl'));
    writeFileSync(join(dir, 'config.yaml'), config);
    return dir;
  }

  it('audit uses the config of the run directory the file sits in, and says so', () => {
    expect(made.code, made.stderr).toBe(0);
    const r = cli(['audit', games, '--on-gap', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`games of ${games}: domain animals90, max_questions 20, wrong_guess continue; from ${join(run, 'config.yaml')}`);
  });

  it('audit and export ignore a config.yaml that is not in a run directory, and never run its code', () => {
    const dir = stray('name: evil\ndomain: ./evil.js\nstages:\n  - evaluate: { games: 1 }\n');
    writeFileSync(join(dir, 'evil.js'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'pwned'))}, 'yes');\nexport default {};\n`);
    const audit = cli(['audit', join(dir, 'games.jsonl'), '--on-gap', 'warn']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stderr).toContain(`from the flags (${join(dir, 'config.yaml')} is ignored: there is no run.json beside it`);
    const exported = cli(['export', join(dir, 'games.jsonl'), '--format', 'grpo']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('--config chooses a config, checked by the experiment loader; --domain chooses the domain', () => {
    const dir = stray('policy: infogain\n');
    const unrelated = join(dir, 'config.yaml');
    const bad = cli(['audit', join(dir, 'games.jsonl'), '--config', unrelated]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${unrelated}:1:1: missing required field "name"`);
    expect(bad.stderr).not.toMatch(/TypeError|Cannot read properties/);
    const chosen = cli(['audit', join(dir, 'games.jsonl'), '--on-gap', 'warn', '--config', join(run, 'config.yaml')]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stderr).toContain(`from ${join(run, 'config.yaml')}`);
    const domain = cli(['export', join(dir, 'games.jsonl'), '--format', 'grpo', '--domain', 'animals90', '--max-questions', '25']);
    expect(domain.code, domain.stderr).toBe(0);
    expect(domain.stderr).toContain('domain animals90, max_questions 25, wrong_guess continue; from the flags');
  });

  it("a run's config.yaml validates, and runs again", () => {
    const config = join(run, 'config.yaml');
    const validated = cli(['validate', config]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toContain(`${config}: ok. Experiment "quickstart", seed 1, 1 stage (01-evaluate).`);
  });

  it('export refuses a strategy option past its limit before building anything', () => {
    const r = cli(['export', games, '--format', 'sft', '--with', 'factor=1e9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid options for strategy "weighted-sft": /factor: expected a number <= 1000');
  });

  it('plugins takes a kind in the plural, as the listing writes it', () => {
    const r = cli(['plugins', 'policies']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^policies:\n {2}api {2}/);
    expect(r.stdout).not.toContain('answerers:');
  });
});
