import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkTrl } from '../../plugins/policies/trl/rows.js';

const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-data-'));
const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

describe('the data pipeline from the command line', () => {
  const out = tmp();
  const run = cli(['run', 'experiments/data.yaml', '--out', out, '--set', 'stages.0.generate.games_per_animal=6']);
  const dir = join(out, 'data', readdirSync(join(out, 'data'))[0]!);

  it('generates, audits and writes both training sets in TRL format', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['02-audit.json', '02-audit.txt', 'config.yaml', 'domain.json', 'dpo.trl.jsonl', 'games.jsonl', 'metrics.json', 'report.html', 'run.json', 'sft.trl.jsonl', 'summary.txt']);
    expect(run.stdout).toMatch(/games\s+noisy-expert\s+540/);
    // the audit names the stage it reads (it once said "02-audit (games of games)")
    expect(run.stderr).toContain('02-audit: audited the games of stage games;');
    expect(run.stdout).toContain('02-audit, audit of the games of stage games:');
    expect(run.stdout).toMatch(/sft: weighted-sft\(.*\): \d+ sft rows/);
    expect(run.stdout).toMatch(/dpo: dpo\(.*\): \d+ dpo rows \(.*divergence_pairs \d+, information_pairs \d+/);
    const sft = jsonl(join(dir, 'sft.trl.jsonl'));
    const dpo = jsonl(join(dir, 'dpo.trl.jsonl'));
    for (const row of sft) expect(checkTrl('sft', row)).toBeUndefined();
    for (const row of dpo) expect(checkTrl('dpo', row)).toBeUndefined();
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.stages.sft).toMatchObject({ format: 'trl-sft', trl_rows: sft.length, rows: sft.length, rows_per_animal_min: 20 });
    expect(metrics.stages.dpo.trl_rows).toBe(dpo.length);
    expect(metrics.stages.dpo.pairs).toBe(metrics.stages.dpo.divergence_pairs + metrics.stages.dpo.information_pairs);
    expect(metrics.stages['02-audit']).toMatchObject({ games: 540, gaps: [] });
    // the noisy answerer's footprint: about 5% of the checked answers contradict the table
    expect(metrics.stages['02-audit'].contradictions / metrics.stages['02-audit'].answers_checked).toBeGreaterThan(0.03);
    expect(metrics.stages['02-audit'].contradictions / metrics.stages['02-audit'].answers_checked).toBeLessThan(0.07);
  });

  it('audit: the per-animal table of a games file, JSON on request', () => {
    const json = join(tmp(), 'audit.json');
    const r = cli(['audit', join(dir, 'games.jsonl'), '--min-wins', '2', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/animal\s+games\s+wins\s+win rate\s+fewest q\s+median q\s+contradictions/);
    expect(r.stdout.split('\n').filter((l) => /^\w+\s+6\s+\d/.test(l)).length).toBe(90);
    expect(JSON.parse(readFileSync(json, 'utf8')).games).toBe(540);
  });

  it('export: each format, every row valid; strategy options by --with', () => {
    const games = join(dir, 'games.jsonl');
    for (const format of ['sft', 'dpo', 'grpo'] as const) {
      const file = join(tmp(), `${format}.jsonl`);
      const r = cli(['export', games, '--format', format, '--out', file]);
      expect(r.code, r.stderr).toBe(0);
      const rows = jsonl(file);
      expect(r.stderr).toContain(`${rows.length} TRL ${format} rows -> ${file}`);
      for (const row of rows) expect(checkTrl(format, row)).toBeUndefined();
      if (format === 'grpo') expect(rows).toHaveLength(90);
    }
    const plain = cli(['export', games, '--format', 'sft', '--with', 'factor=1', '--with', 'include_losses=true']);
    expect(plain.stdout.trim().split('\n')).toHaveLength(540);
    const open = cli(['export', games, '--format', 'sft', '--no-candidates']);
    expect(open.stdout).toContain('I am thinking of an animal.');
    const bad = cli(['export', games, '--format', 'sft', '--with', 'factr=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown field "factr"; did you mean "factor"?');
  });

  it('export into a reader that stops early (| head -1) ends quietly: one row out, no EPIPE error', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" export "${join(dir, 'games.jsonl')}" --format dpo | head -n 1`], { env, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toHaveProperty('chosen');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
  });

  it('export --out replaces a file only once every row is written: a bad row leaves it untouched', () => {
    const folder = tmp();
    const lines = readFileSync(join(dir, 'games.jsonl'), 'utf8').trim().split('\n');
    const games = join(folder, 'games.jsonl');
    // an empty move makes an empty assistant message: an invalid SFT row, far into the file
    const late = lines.map((l) => JSON.parse(l) as { outcome: string; turns: { move: { text: string } }[] }).findLastIndex((g) => g.outcome === 'win');
    const broken = JSON.parse(lines[late]!) as { turns: { move: { text: string } }[] };
    broken.turns[0]!.move.text = '';
    writeFileSync(games, [...lines.slice(0, late), JSON.stringify(broken), ...lines.slice(late + 1)].join('\n') + '\n');
    const out = join(folder, 'sft.jsonl');
    writeFileSync(out, 'precious\n');
    const r = cli(['export', games, '--format', 'sft', '--with', 'factor=1', '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TRL sft row \d+ is not valid/);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(readdirSync(folder).sort()).toEqual(['games.jsonl', 'sft.jsonl']);
    const good = cli(['export', join(dir, 'games.jsonl'), '--format', 'sft', '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    expect(jsonl(out).length).toBeGreaterThan(100);
    expect(readdirSync(folder).sort()).toEqual(['games.jsonl', 'sft.jsonl']);
  });

  it('audit and export name the file and line of a game with a missing field, and say what is wrong', () => {
    const lines = readFileSync(join(dir, 'games.jsonl'), 'utf8').trim().split('\n');
    const broken = (line: number, change: (g: Record<string, unknown>) => void) => {
      const file = join(tmp(), 'games.jsonl');
      const g = JSON.parse(lines[line - 1]!) as Record<string, unknown>;
      change(g);
      writeFileSync(file, [...lines.slice(0, line - 1), JSON.stringify(g), ...lines.slice(line)].join('\n') + '\n');
      return file;
    };
    const noMove = broken(3, (g) => ((g.turns as { move: unknown }[])[0]!.move = null));
    const audit = cli(['audit', noMove]);
    expect(audit.code).toBe(1);
    // stderr: the domain and rules used, then the error alone on its line
    expect(audit.stderr.trim().split('\n').at(-1)).toBe(`${noMove}:3: turns[0].move is null, expected {kind, text}`);
    const noQuestions = broken(7, (g) => delete g.questions);
    for (const command of [
      ['audit', noQuestions],
      ['export', noQuestions, '--format', 'sft'],
      ['export', noQuestions, '--format', 'dpo'],
    ]) {
      const r = cli(command);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`${noQuestions}:7: questions is missing, expected the number of questions asked`);
    }
  });

  it('audit, export and report refuse games that cannot be: the same games twice, a target that is no animal, a win with no turns', () => {
    const lines = readFileSync(join(dir, 'games.jsonl'), 'utf8').trim().split('\n');
    const fileOf = (all: readonly string[]) => {
      const file = join(tmp(), 'games.jsonl');
      writeFileSync(file, all.join('\n') + '\n');
      return file;
    };
    const edited = (line: number, change: (g: Record<string, unknown>) => void) => {
      const g = JSON.parse(lines[line - 1]!) as Record<string, unknown>;
      change(g);
      return fileOf([...lines.slice(0, line - 1), JSON.stringify(g), ...lines.slice(line)]);
    };
    const cases: [string, RegExp][] = [
      [fileOf([...lines.slice(0, 100), ...lines.slice(0, 100)]), /:101: game 0 of noisy-expert is in the file twice \(first at line 1\); a file holds each game once$/],
      [edited(5, (g) => (g.target = 'dragon')), /:5: target "dragon" is not one of the 90 candidates of animals90$/],
      [edited(9, (g) => Object.assign(g, { turns: [], questions: 0, invalid: 0, outcome: 'win' })), /:9: a win whose last turn is not the right guess$/],
    ];
    for (const [file, problem] of cases) {
      for (const command of [
        ['audit', file],
        ['export', file, '--format', 'sft'],
        ['export', file, '--format', 'grpo'],
      ]) {
        const r = cli(command);
        expect(r.code, `${command.join(' ')}: ${r.stdout}`).toBe(1);
        expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${problem.source}`));
      }
    }
    // the report of a run whose games file holds a game twice
    const copy = join(tmp(), 'run');
    cpSync(dir, copy, { recursive: true });
    appendFileSync(join(copy, 'games.jsonl'), lines[3] + '\n');
    const report = cli(['report', copy, '--out', join(tmp(), 'r.html')]);
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(new RegExp(`games\\.jsonl:${lines.length + 1}: game 3 of noisy-expert is in the file twice \\(first at line 4\\)`));
  });
});

describe('skewed data', () => {
  it('audit-gap.yaml stops at the audit, naming every animal without a winning game', () => {
    const out = tmp();
    const r = cli(['run', 'experiments/audit-gap.yaml', '--out', out, '--progress', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('02-audit: 3 animals have no winning game in 01-generate: giraffe, penguin, octopus.');
    expect(r.stderr).toContain('set on_gap: warn to go on anyway');
    // the audit's figures and its table come with the error, also without progress lines
    expect(r.stderr).toMatch(/\d+ games, \d+ wins .*; 87\/90 animals have a winning game/);
    expect(r.stderr).toMatch(/per-animal table: .*02-audit\.txt/);
    const dir = join(out, 'audit-gap', readdirSync(join(out, 'audit-gap'))[0]!);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('failed');
    expect(run.stages.map((s: { status: string }) => s.status)).toEqual(['done', 'failed', 'pending']);
    expect(readdirSync(dir)).not.toContain('03-dataset.trl.jsonl');
    // with on_gap: warn the run goes on and builds the data anyway
    const warn = cli(['run', 'experiments/audit-gap.yaml', '--out', out, '--set', 'stages.1.audit.on_gap=warn']);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('WARNING: 02-audit: 3 animals have no winning game');
  });

  it('audit on a file exits 1 on a gap unless --on-gap warn', () => {
    const out = tmp();
    cli(['run', 'experiments/audit-gap.yaml', '--out', out]);
    const dir = join(out, 'audit-gap', readdirSync(join(out, 'audit-gap'))[0]!);
    const fail = cli(['audit', join(dir, '01-generate.jsonl')]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('audit failed: 3 animals have no winning game: giraffe, penguin, octopus');
    expect(cli(['audit', join(dir, '01-generate.jsonl'), '--on-gap', 'warn']).code).toBe(0);
  });

  it('a games file that is not one gets its file and line', () => {
    const r = cli(['audit', 'package.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^package\.json:1: not JSON/m);
  });
});
