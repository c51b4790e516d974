import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../framework/metrics/paired.js';
import { BIN, cli } from '../report-run.js';

/** The rows of a report's summary table: each cell's text and sort value by its column. */
function summary(html: string, id = 'run0-summary'): { stage: string; policy: string; answerer?: string; cells: Record<string, { text: string; sort?: number }> }[] {
  const table = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</table>', html.indexOf(`id="${id}"`)));
  return [...table.matchAll(/<tr data-stage="([^"]*)" data-policy="([^"]*)"(?: data-answerer="([^"]*)")?>(.*?)<\/tr>/g)].map((m) => ({
    stage: m[1]!,
    policy: m[2]!,
    ...(m[3] !== undefined ? { answerer: m[3] } : {}),
    cells: Object.fromEntries(
      [...m[4]!.matchAll(/<td data-col="([^"]*)">(.*?)<\/td>/g)].map((c) => {
        const sort = /data-sort="([^"]*)"/.exec(c[2]!)?.[1];
        return [
          c[1]!,
          {
            text: c[2]!
              .replace(/<[^>]+>/g, '')
              .replace(/&amp;/g, '&')
              .replace(/&lt;/g, '<'),
            ...(sort !== undefined ? { sort: Number(sort) } : {}),
          },
        ];
      }),
    ),
  }));
}

const fixed = (x: number, d: number) => x.toFixed(d);

describe('the report of a stage played against kb, noisy-kb and coin-kb', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'twentyq-recorded-'));
  let dir: string;
  let html: string;

  beforeAll(() => {
    const r = cli(['run', resolve('experiments/yardsticks.yaml'), '--set', 'stages.0.evaluate.games_per_animal=1', '-w', '1'], cwd);
    expect(r.code, r.stderr).toBe(0);
    dir = /run completed: (\S+)/.exec(r.stdout)![1]!;
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  }, 240_000);

  it("gives each row its own answerer's bound, as twentyq bounds computes it", () => {
    const bounds = JSON.parse(cli(['bounds', '--rule', 'continue', '--json']).stdout) as { trees: { semantics: string; mean: number }[] };
    const of = (semantics: string) => bounds.trees.find((t) => t.semantics === semantics)!.mean;
    expect(fixed(of('say'), 3)).toBe('5.200');
    expect(fixed(of('coin'), 3)).toBe('6.992');
    const expected: Record<string, number> = { kb: of('say'), 'noisy-kb': of('say'), 'coin-kb': of('coin') };
    const rows = summary(html);
    expect(rows).toHaveLength(9);
    for (const row of rows) {
      expect(row.cells.bound!.text, `${row.policy}@${row.answerer}`).toBe(fixed(expected[row.answerer!]!, 3));
      expect(row.cells.bound!.sort).toBeCloseTo(expected[row.answerer!]!, 12);
      expect(row.cells['bound-game']!.text).toBe(`${row.answerer === 'coin-kb' ? 'coin' : 'say'}, continue, 90 targets`);
    }
    // a line per distinct bound in the questions chart
    const lines = [...html.matchAll(/<line class="ref" data-value="([^"]*)"/g)].map((m) => Number(m[1]));
    expect(lines.filter((v, i) => lines.indexOf(v) === i).sort()).toEqual([of('say'), of('coin')].sort());
  });

  it("shows every paired column the CLI prints, equal to metrics.json's comparisons, ranges as 'a to b'", () => {
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).stages.yardsticks.answerers as Record<string, { baseline: string; unknowns: string; comparisons: Record<string, Comparison> }>;
    expect(Object.fromEntries(Object.entries(metrics).map(([a, m]) => [a, m.unknowns]))).toEqual({ kb: 'say', 'noisy-kb': 'say', 'coin-kb': 'coin' });
    let compared = 0;
    for (const row of summary(html)) {
      const c = metrics[row.answerer!]!.comparisons[row.policy];
      if (row.policy === 'optimal') {
        expect(c).toBeUndefined();
        expect(row.cells.baseline!.text).toBe('');
        continue;
      }
      compared++;
      expect(row.cells.baseline!.text).toBe('optimal');
      expect(row.cells.pairs!.sort).toBe(c!.pairs);
      expect(row.cells['success-diff']!.sort).toBe(c!.success_diff);
      expect(row.cells['wins-only']!.text).toBe(`${c!.wins_only_policy}:${c!.wins_only_baseline}`);
      expect(row.cells.mcnemar!.sort).toBe(c!.mcnemar_p);
      expect(row.cells['avg-q-diff']!.sort).toBe(c!.questions_diff);
      expect(row.cells['avg-q-diff-ci']!.text).toBe(`${fixed(c!.questions_diff_ci[0], 3)} to ${fixed(c!.questions_diff_ci[1], 3)}`);
    }
    expect(compared).toBe(6);
    // the CLI's other columns are there too
    const summaryTxt = readFileSync(join(dir, 'summary.txt'), 'utf8');
    for (const head of ['answerer', 'avg q (wins)', 'McNemar p', 'wins only:baseline only']) expect(summaryTxt).toContain(head);
    for (const col of ['answerer', 'avg-q-wins', 'mcnemar', 'wins-only']) expect(html).toContain(`<th data-col="${col}"`);
    for (const row of summary(html)) for (const col of ['success-ci', 'avg-q-ci']) expect(row.cells[col]!.text).toMatch(/^-?\d+\.\d+%? to -?\d+\.\d+%?$/);
  });
});

describe('report and show read only what the run recorded', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'twentyq-recorded-'));

  it('a run whose answerer launches a server: twentyq report starts no process', () => {
    const marker = join(cwd, 'launched');
    // the launch command leaves a marker each time it is started, then serves
    const launch = `touch '${marker}'; exec '${process.execPath}' '${BIN}' serve --port {PORT}`;
    writeFileSync(
      join(cwd, 'launched.yaml'),
      `name: launched\nseed: 5\npolicy: { use: infogain, with: { unknown: two-way } }\nstages:\n  - evaluate:\n      games: 6\n      answerer: { use: llm, label: child, with: { base_url: "http://127.0.0.1:1/v1", model: "answerer:kb", api_key_env: null, launch: ${JSON.stringify(launch)} } }\n`,
    );
    const run = cli(['run', join(cwd, 'launched.yaml'), '-w', '1'], cwd);
    expect(run.code, run.stderr).toBe(0);
    const dir = /run completed: (\S+)/.exec(run.stdout)![1]!;
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    rmSync(join(dir, 'report.html'));
    const report = cli(['report', dir], cwd);
    expect(report.code, report.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // the child's "unknown" is vague: no bound, said so; the games are shown
    expect(summary(html)[0]!.cells['bound-game']!.text).toBe('none (vague)');
    expect(cli(['show', dir], cwd).code).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('a run copied elsewhere, its user plugin file and its table deleted, still reports the same', () => {
    cpSync(resolve('test/fixtures/plugins/always-yes.js'), join(cwd, 'always-yes.js'));
    cpSync(resolve('test/fixtures/fruit/fruit.csv'), join(cwd, 'fruit.csv'));
    writeFileSync(join(cwd, 'user.yaml'), 'name: user\nseed: 4\ndomain: { use: table, with: { file: ./fruit.csv } }\nanswerer: { use: ./always-yes.js, label: yes-man }\nstages:\n  - evaluate: { games: 10, policies: [infogain] }\n');
    const run = cli(['run', join(cwd, 'user.yaml'), '-w', '1'], cwd);
    expect(run.code, run.stderr).toBe(0);
    const dir = /run completed: (\S+)/.exec(run.stdout)![1]!;
    const before = readFileSync(join(dir, 'report.html'), 'utf8');
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'twentyq-copied-')), 'run');
    cpSync(dir, elsewhere, { recursive: true });
    rmSync(join(cwd, 'always-yes.js'));
    rmSync(join(cwd, 'fruit.csv'));
    const report = cli(['report', elsewhere]);
    expect(report.code, report.stderr).toBe(0);
    const after = readFileSync(join(elsewhere, 'report.html'), 'utf8');
    // the same page but for where the run is
    expect(after.replaceAll(elsewhere, dir)).toBe(before);
    expect(summary(after).map((r) => r.policy)).toEqual(['infogain']);
    // the candidates left after each turn come from the recorded domain
    expect(after).toMatch(/"left":\d+/);
  });
});
