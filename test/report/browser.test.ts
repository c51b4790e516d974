import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trajectory } from '../../framework/game/types.js';
import { smallPipelineRun } from '../report-run.js';

/** Debian's Chromium (installed by .ci/run when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A closed network: no sandbox in a container, nothing phoned home, no QUIC, no GPU. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = resolve('test-artifacts');

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the report of a real pipeline run, in Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'twentyq-browser-'));
    const run = smallPipelineRun(cwd);
    expect(run.code, run.stderr).toBe(0);
    dir = run.dir;
    mkdirSync(ARTIFACTS, { recursive: true });
    // headless: playwright passes --headless; a fresh profile every time
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'twentyq-chromium-')), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 1000 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForLoadState('load');
  }, 240_000);

  afterAll(async () => {
    await context?.close();
  });

  it('loads with no console error, no failed request, and nothing fetched but the file', async () => {
    await page.screenshot({ path: join(ARTIFACTS, 'report-full.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(join(dir, 'report.html')).href]);
  });

  it('draws a bar per evaluated policy, a point per curve line, a histogram bar per question count played', async () => {
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).stages as Record<string, { policies?: object; answerers?: Record<string, { policies: object }>; games?: number }>;
    const evaluated = Object.values(metrics).reduce((n, m) => n + (m.policies ? Object.keys(m.policies).length : m.answerers ? Object.values(m.answerers).reduce((k, a) => k + Object.keys(a.policies).length, 0) : m.games !== undefined && 'teacher' in m ? 1 : 0), 0);
    expect(evaluated).toBe(1 + 3 + 4 + 3);
    expect(await page.locator('#run0-success rect.bar').count()).toBe(evaluated);
    expect(await page.locator('#run0-questions rect.bar').count()).toBe(evaluated);
    expect(await page.locator('#run0-questions line.ref').count()).toBeGreaterThanOrEqual(1);
    for (const stage of ['plain-sft', 'weighted-sft', 'dpo', 'grpo']) {
      const curve = lines(join(dir, `${stage}.curve.jsonl`));
      const x = stage === 'grpo' ? 'iteration' : 'epoch';
      // every numeric field logged on more than one line is a chart with a point per such line
      const field = 'loss';
      const expected = curve.filter((l) => typeof l[field] === 'number' && typeof l[x] === 'number').length;
      expect(expected).toBeGreaterThan(1);
      if (stage === 'grpo') expect(expected).toBe(curve.length);
      const points = page.locator(`[id="run0-${stage}-curve-${field}"]`);
      expect(await points.count()).toBe(1);
      expect(await points.locator('circle.pt').count()).toBe(expected);
      const ys = await points.locator('circle.pt').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-y'))));
      expect(ys).toEqual(curve.filter((l) => typeof l[field] === 'number').map((l) => l[field]));
    }
    // questions per game of eval-grpo's single policy: a bar per distinct count of questions won in, plus lost games
    const games = lines(join(dir, 'eval-grpo.jsonl')) as unknown as Trajectory[];
    const cells = new Set(games.map((g) => (g.outcome === 'win' ? String(g.questions) : 'lost')));
    expect(await page.locator('[id="run0-eval-grpo-hist-0"] rect.bar').count()).toBe(cells.size);
    // the per-animal table: a row per animal, sortable by a policy's success
    const table = page.locator('#run0-animals');
    expect(await table.locator('tbody tr').count()).toBe(90);
    const header = table.locator('th', { hasText: 'eval-plain-sft/plain-sft success' });
    const column = await header.evaluate((th) => [...th.parentElement!.children].indexOf(th) + 1);
    await header.click();
    const sorted = await table.locator('tbody tr').evaluateAll((rows, c) => rows.map((r) => Number(r.querySelector(`td:nth-child(${c}) [data-sort]`)?.getAttribute('data-sort'))), column);
    expect(sorted.every(Number.isFinite)).toBe(true);
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    await page.locator('#run0-animals').screenshot({ path: join(ARTIFACTS, 'report-animals.png') });
  });

  it('opens a chosen game in the viewer, turn by turn as the games file has it', async () => {
    const games = (lines(join(dir, 'eval-plain-sft.jsonl')) as unknown as Trajectory[]).filter((g) => g.target === 'penguin');
    expect(games.length).toBeGreaterThan(0);
    const chosen = games[0]!;
    const viewer = page.locator('.viewer[data-run="run0"]');
    await viewer.locator('.v-stage').selectOption('eval-plain-sft');
    await viewer.locator('.v-policy').selectOption('plain-sft');
    await viewer.locator('.v-target').selectOption('penguin');
    await viewer.locator('.v-game').selectOption(String(chosen.game));
    const rows = viewer.locator('.v-out tr.turn');
    expect(await rows.count()).toBe(chosen.turns.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ text: tr.querySelector('.q')!.textContent, answer: tr.querySelector('.a')!.textContent, left: Number(tr.querySelector('.left')!.textContent) })));
    expect(shown.map((s) => s.text)).toEqual(chosen.turns.map((t) => t.move.text));
    expect(shown.map((s) => s.answer)).toEqual(chosen.turns.map((t) => t.answer ?? '-'));
    // the candidates left only shrink, from at most the 90 animals, and the target stays among them in a won game
    const left = shown.map((s) => s.left);
    expect(left[0]).toBeLessThanOrEqual(90);
    for (let i = 1; i < left.length; i++) expect(left[i]).toBeLessThanOrEqual(left[i - 1]!);
    if (chosen.outcome === 'win') expect(left.at(-1)).toBeGreaterThanOrEqual(1);
    await expect.poll(() => viewer.locator('.v-head').textContent()).toContain(`target penguin: ${chosen.outcome} in ${chosen.questions} questions`);
    await viewer.screenshot({ path: join(ARTIFACTS, 'report-viewer.png') });
    expect(existsSync(join(ARTIFACTS, 'report-viewer.png'))).toBe(true);
    expect(problems).toEqual([]);
  });
});
