import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

/**
 * The pictures of the report in docs/report.md, taken in Debian's Chromium from a run's report.html:
 *   npm run docs:screenshots [RUN_DIR]   (default: the latest run of experiments/pipeline.yaml under runs/)
 * docs/report.png is the top of the page (summary and outcome charts), docs/report-gap.png the
 * evaluation gap, docs/report-viewer.png the viewer on eval-grpo's game of the penguin.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function latestPipelineRun(): string {
  const root = resolve('runs/pipeline');
  const runs = existsSync(root) ? readdirSync(root).sort() : [];
  if (runs.length === 0) throw new Error(`no run under ${root}: run npm start first, or name a run directory`);
  return join(root, runs.at(-1)!);
}

/** The box from the top of one element to the bottom of another, the page's width (the page not scrolled: its boxes are in page coordinates). */
async function between(page: Page, from: string, to: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const [a, b] = await Promise.all([page.locator(from).first().boundingBox(), page.locator(to).first().boundingBox()]);
  if (!a || !b) throw new Error(`the report has no ${!a ? from : to}`);
  return { x: 0, y: a.y - 8, width: page.viewportSize()!.width, height: b.y + b.height - a.y + 16 };
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? latestPipelineRun());
  const report = join(dir, 'report.html');
  if (!existsSync(report)) throw new Error(`${report}: no such file; write it with twentyq report ${dir}`);
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'twentyq-chromium-')), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1300, height: 1000 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(report).href);
    await page.screenshot({ path: 'docs/report.png' });
    await page.screenshot({ path: 'docs/report-gap.png', fullPage: true, clip: await between(page, '#run0 h3:has-text("The evaluation gap")', '#run0-gap ~ ul') });
    const viewer = page.locator('.viewer[data-run="run0"]');
    await viewer.locator('.v-stage').selectOption('eval-grpo');
    await viewer.locator('.v-policy').selectOption('grpo');
    await viewer.locator('.v-target').selectOption('penguin');
    await viewer.screenshot({ path: 'docs/report-viewer.png' });
    console.log(`docs/report.png, docs/report-gap.png, docs/report-viewer.png from ${report}`);
  } finally {
    await context.close();
  }
}

await main();
