import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, smallPipelineRun } from '../report-run.js';

describe('twentyq runs, show and report on real runs', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'twentyq-report-'));
  let done: string;
  let failed: string;

  beforeAll(() => {
    const ok = smallPipelineRun(cwd);
    expect(ok.code, ok.stderr).toBe(0);
    done = ok.dir;
    // 4 questions leave animals with no winning game: the audit fails the run at stage 2
    const bad = smallPipelineRun(cwd, ['--set', 'game.max_questions=4']);
    expect(bad.code).toBe(1);
    failed = bad.dir;
  }, 240_000);

  it('every run writes report.html when it ends, a failed one too, with what there is', () => {
    const html = readFileSync(join(done, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // self-contained: nothing is fetched
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('eval-grpo');
    expect(html).toContain('The evaluation gap');
    const failedHtml = readFileSync(join(failed, 'report.html'), 'utf8');
    expect(failedHtml).toContain('<b class="status-failed">failed</b>');
    expect(failedHtml).toContain('teacher-games');
    expect(failedHtml).not.toContain('eval-grpo/');
  });

  it('twentyq runs lists both runs with status, stages and headline; --experiment filters', () => {
    const r = cli(['runs'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/pipeline\s+completed\s+\S+ \S+Z\s+(?:\d+(?:\.\d)?s|\d+m\d\ds|\d+h\d\dm)\s+12\/12\s+eval-grpo\/grpo \d+\.\d% \d+\.\d\dq/);
    expect(lines[3]).toMatch(/pipeline\s+failed\s+.*\s1\/12\s/);
    const json = JSON.parse(cli(['runs', '--json', '--experiment', 'pipeline'], cwd).stdout);
    expect(json.map((x: { status: string }) => x.status)).toEqual(['completed', 'failed']);
    expect(cli(['runs', '--experiment', 'nothing'], cwd).stdout).toContain('no runs in runs for experiment nothing');
    // a run whose run.json is gone is still listed, with what it has
    const elsewhere = mkdtempSync(join(tmpdir(), 'twentyq-runs-'));
    cli(['run', join(process.cwd(), 'experiments/quickstart.yaml'), '--set', 'stages.0.evaluate.games_per_animal=1', '-w', '1', '--out', join(elsewhere, 'runs')], elsewhere);
    const [qs] = readdirSync(join(elsewhere, 'runs/quickstart'));
    rmSync(join(elsewhere, 'runs/quickstart', qs!, 'run.json'));
    const listed = cli(['runs', '--out', join(elsewhere, 'runs')]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${qs}\\s+quickstart\\s+no run.json`));
  });

  it('twentyq show prints the summary again; a run cut short shows its stages and metrics', () => {
    const r = cli(['show', done]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pipeline \S+: completed/);
    expect(r.stdout).toContain(readFileSync(join(done, 'summary.txt'), 'utf8').trimEnd());
    const f = cli(['show', failed]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/: failed,.*\nerror: .*audit/);
    expect(f.stdout).toMatch(/teacher-games \(generate\) done .*02-audit \(audit\) failed/);
    expect(f.stdout).toContain('no summary.txt (the run did not reach its end); metrics.json holds stages teacher-games');
    const missing = cli(['show', join(cwd, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such run directory');
  });

  it('twentyq report writes one file for several runs, side by side, and says its size and time', () => {
    const out = join(cwd, 'both.html');
    const r = cli(['report', done, failed, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/both\.html: \d+ KiB, written in \d+\.\d\ds/);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Runs side by side');
    expect(html.match(/<section class="run"/g)).toHaveLength(2);
    // the runs' charts side by side share their axes
    const tops = [...html.matchAll(/id="side\d-questions" data-bars="\d+" data-ymax="([^"]*)"/g)].map((m) => Number(m[1]));
    expect(tops).toHaveLength(2);
    expect(tops[0]).toBe(tops[1]);
    expect(statSync(out).size).toBeLessThan(5_000_000);
  });
});
