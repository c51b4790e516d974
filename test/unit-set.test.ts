import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { E2E } from '../vitest.config.js';

// What makes a test slow and flaky on a loaded machine: a child process, the worker pool, a served environment.
const STARTS = [
  { pattern: /from 'node:child_process'/, what: 'starts a child process' },
  { pattern: /\brunExperiment\(/, what: "runs an experiment (the runner's worker pool)" },
  { pattern: /\bGamePool\b/, what: 'starts the worker pool' },
  { pattern: /\bserveEnvironment\(/, what: 'serves the environment over HTTP' },
  { pattern: /from '\.\.\/report-run\.js'/, what: 'runs an experiment (test/report-run.ts)' },
];

const DIR_GLOB = '**/*.test.ts';

function inE2E(file: string): boolean {
  return E2E.some((glob) => (glob.endsWith(DIR_GLOB) ? file.startsWith(glob.slice(0, -DIR_GLOB.length)) : file === glob));
}

describe('the fast unit set', () => {
  it('lists end-to-end files as paths or whole folders, the two forms this check reads', () => {
    for (const glob of E2E) expect(glob.endsWith(DIR_GLOB) ? glob.slice(0, -DIR_GLOB.length) : glob).not.toMatch(/[*?{[]/);
  });

  it('holds no test that starts a process, the worker pool or a server of the environment', () => {
    const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/${f}`);
    // this file names the patterns it looks for, and starts nothing
    const unit = files.filter((f) => !inE2E(f) && f !== 'test/unit-set.test.ts');
    expect(unit.length).toBeGreaterThan(20);
    const slow = unit.flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      return STARTS.filter((s) => s.pattern.test(source)).map((s) => `${file} ${s.what}: add it to E2E in vitest.config.ts`);
    });
    expect(slow).toEqual([]);
  });
});
