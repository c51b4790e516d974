/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
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

const jsonLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

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
    const evaluated = Object.values(metrics).reduce(
      (n, m) => n + (m.policies ? Object.keys(m.policies).length : m.answerers ? Object.values(m.answerers).reduce((k, a) => k + Object.keys(a.policies).length, 0) : m.games !== undefined && 'teacher' in m ? 1 : 0),
      0,
    );
    expect(evaluated).toBe(1 + 3 + 4 + 3);
    expect(await page.locator('#run0-success rect.bar').count()).toBe(evaluated);
    expect(await page.locator('#run0-questions rect.bar').count()).toBe(evaluated);
    expect(await page.locator('#run0-questions line.ref').count()).toBeGreaterThanOrEqual(1);
    for (const stage of ['plain-sft', 'weighted-sft', 'dpo', 'grpo']) {
      const curve = jsonLines(join(dir, `${stage}.curve.jsonl`));
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
    const games = jsonLines(join(dir, 'eval-grpo.jsonl')) as unknown as Trajectory[];
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

  it('colours each policy alike in every chart, draws a line per distinct bound, shows constant figures as values', async () => {
    // every mark of a label (bars of both outcome charts, histogram bars, legend keys) has one colour, and labels differ
    const marks = await page
      .locator('#run0 rect.bar[data-label], #run0 .legend span[data-label] i')
      .evaluateAll((els) => els.map((e) => ({ label: (e.closest('[data-label]') as HTMLElement).dataset.label!, colour: e.tagName === 'rect' ? getComputedStyle(e).fill : getComputedStyle(e).backgroundColor })));
    const colours = new Map<string, Set<string>>();
    for (const m of marks) colours.set(m.label, (colours.get(m.label) ?? new Set()).add(m.colour));
    expect(colours.size).toBeGreaterThan(5);
    for (const [label, set] of colours) expect([...set], label).toHaveLength(1);
    expect(new Set([...colours.values()].map((s) => [...s][0])).size).toBe(Math.min(colours.size, 10));
    // the transfer stage plays kb and noisy-kb (unknown: say) and coin-kb (unknown: coin): two bounds, two lines
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).stages as Record<string, { bound?: { mean: number }; answerers?: Record<string, { bound?: { mean: number } }> }>;
    const bounds = new Set(
      Object.values(metrics)
        .flatMap((m) => [m.bound?.mean, ...Object.values(m.answerers ?? {}).map((a) => a.bound?.mean)])
        .filter((x) => x !== undefined),
    );
    expect(bounds.size).toBe(2);
    const lines = await page.locator('#run0-questions line.ref').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(new Set(lines)).toEqual(bounds);
    // a figure that never changes over a curve (the steps of an SFT epoch) is a value, not a chart
    const curve = jsonLines(join(dir, 'plain-sft.curve.jsonl')).filter((l) => typeof l.steps === 'number');
    expect(new Set(curve.map((l) => l.steps)).size).toBe(1);
    expect(await page.locator('[id="run0-plain-sft-curve-steps"]').count()).toBe(0);
    await expect.poll(() => page.locator('[data-curve="plain-sft"] + .facts .fact[data-field="steps"]').textContent()).toBe(`steps ${String(curve[0]!.steps)} (every one of ${curve.length} lines)`);
    // ranges read "a to b", never "a-b"
    const cis = await page.locator('#run0-summary td[data-col$="-ci"]').allTextContents();
    for (const c of cis) expect(c).toMatch(/^(|-|-?[\d.]+%? to -?[\d.]+%?)$/);
  });

  it('fits the summary in a narrow page: it scrolls sideways with its first column fixed', async () => {
    await page.setViewportSize({ width: 700, height: 900 });
    try {
      const box = page.locator('#run0-summary').locator('xpath=..');
      const fits = await box.evaluate((e) => ({ right: e.getBoundingClientRect().right, page: document.documentElement.clientWidth, overflow: e.scrollWidth > e.clientWidth }));
      expect(fits.right).toBeLessThanOrEqual(fits.page);
      expect(fits.overflow).toBe(true);
      const firstCell = page.locator('#run0-summary tbody tr').first().locator('td').first();
      const before = await firstCell.evaluate((e) => e.getBoundingClientRect().left);
      await box.evaluate((e) => (e.scrollLeft = e.scrollWidth));
      const after = await firstCell.evaluate((e) => e.getBoundingClientRect().left);
      expect(after).toBe(before);
      await page
        .locator('#run0-summary')
        .locator('xpath=..')
        .screenshot({ path: join(ARTIFACTS, 'report-summary-narrow.png') });
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
  });

  it('shades the per-animal table as a heatmap: red as a policy fails, blue as it needs more questions', async () => {
    const cells = await page
      .locator('#run0-animals .heat')
      .evaluateAll((els) => els.map((e) => ({ fail: e.classList.contains('fail'), value: Number((e as HTMLElement).dataset.sort), shade: Number((e as HTMLElement).dataset.shade), background: getComputedStyle(e).backgroundColor })));
    expect(cells.length).toBeGreaterThan(90 * 2);
    const alpha = (css: string) => Number(/rgba?\([^)]*?,[^)]*?,[^)]*?(?:,\s*([\d.]+))?\)/.exec(css)?.[1] ?? 1);
    for (const c of cells) {
      if (c.fail) expect(c.shade > 0).toBe(c.value < 1);
      expect(alpha(c.background)).toBeCloseTo(c.shade, 2);
    }
    const questions = cells.filter((c) => !c.fail);
    const longest = Math.max(...questions.map((c) => c.value));
    for (const c of questions) if (c.value === longest) expect(c.shade).toBeCloseTo(0.75, 3);
  });

  it('opens a chosen game in the viewer, turn by turn as the games file has it', async () => {
    const games = (jsonLines(join(dir, 'eval-plain-sft.jsonl')) as unknown as Trajectory[]).filter((g) => g.target === 'penguin');
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
  it("shows each move's regret beside it in the viewer, as the stage's regret file has it, and the stage's regret by turn and costliest questions", async () => {
    const games = (jsonLines(join(dir, 'eval-plain-sft.jsonl')) as unknown as Trajectory[]).filter((g) => g.policy === 'plain-sft' && g.target === 'penguin');
    const chosen = games[0]!;
    const line = jsonLines(join(dir, 'eval-plain-sft.regret.jsonl')).find((l) => l.game === chosen.game && l.policy === 'plain-sft');
    const regrets = line!.regret as number[];
    expect(regrets).toHaveLength(chosen.turns.length);
    const viewer = page.locator('.viewer[data-run="run0"]');
    await viewer.locator('.v-stage').selectOption('eval-plain-sft');
    await viewer.locator('.v-policy').selectOption('plain-sft');
    await viewer.locator('.v-target').selectOption('penguin');
    await viewer.locator('.v-game').selectOption(String(chosen.game));
    const shown = await viewer.locator('.v-out tr.turn td.regret').allTextContents();
    expect(shown).toEqual(regrets.map((r) => (r > 1e-9 ? r.toFixed(3) : '0')));
    const total = regrets.reduce((a, b) => a + b, 0);
    await expect.poll(() => viewer.locator('.v-head').textContent()).toContain(`regret ${total.toFixed(3)}`);
    // the section: a bar per evaluated play with regret, a point per turn reached, the costliest questions
    type Policies = Record<string, { regret?: { mean_regret: number; by_turn: number[]; costliest: { move: string; total: number }[] } }>;
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).stages as Record<string, { policies?: Policies; answerers?: Record<string, { policies?: Policies }> }>;
    const entries = (m: { policies?: Policies; answerers?: Record<string, { policies?: Policies }> }) => [m.policies ?? {}, ...Object.values(m.answerers ?? {}).map((a) => a.policies ?? {})].flatMap((p) => Object.entries(p));
    const withRegret = Object.entries(metrics).flatMap(([stage, m]) =>
      entries(m)
        .filter(([, p]) => p.regret)
        .map(([policy, p]) => ({ stage, policy, regret: p.regret! })),
    );
    expect(withRegret.length).toBeGreaterThan(3);
    expect(await page.locator('#run0-regret rect.bar').count()).toBe(withRegret.length);
    const plain = withRegret.find((r) => r.stage === 'eval-plain-sft')!.regret;
    expect(await page.locator('#run0-eval-plain-sft-regret-by-turn circle.pt').count()).toBe(plain.by_turn.length);
    const first = await page.locator('#run0-eval-plain-sft-costliest tbody tr').first().locator('td').allTextContents();
    expect(first.slice(0, 3)).toEqual(['plain-sft', plain.costliest[0]!.move, plain.costliest[0]!.total.toFixed(2)]);
    // an optimal player's moves cost nothing
    const expert = withRegret.find((r) => r.policy === 'optimal');
    if (expert) expect(expert.regret.mean_regret).toBe(0);
    // a GRPO stage shows its alarm figures
    await expect.poll(() => page.locator('#run0 p.grpo').first().textContent()).toMatch(/^GRPO: \d+ steps: groups scored alike/);
    expect(problems).toEqual([]);
  });
});
