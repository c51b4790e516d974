import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runParts, staleRunParts } from '../../scripts/docs.js';

// The figures the docs show from quick runs (seconds) are checked against a fresh run here, in the test
// command; the pipeline's table (minutes) by `npm run docs:check`.
describe('the figures the docs show from quick runs', () => {
  it("are what a fresh run of their experiment gives (experiments/data.yaml's table in docs/experiments.md)", () => {
    expect(staleRunParts()).toEqual([]);
  }, 120_000);

  it("come from the run: the table names the run's counts, which the page then shows", () => {
    const result = runParts();
    if ('error' in result) throw new Error(result.error);
    const table = result.parts['docs/experiments.md']!['data-table']!;
    expect(table).toMatch(/^\| games \| 1,800 \(20 per animal\), [\d,]+ wins \([\d.]+%\), [\d.]+ questions on average \|$/m);
    expect(readFileSync('docs/experiments.md', 'utf8')).toContain(table);
  }, 120_000);
});
