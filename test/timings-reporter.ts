import type { Reporter, TestModule } from 'vitest/node';

/** Prints each test file's time at the end of a run, slowest first, so the file that sets the suite's pace is known. */
export default class TimingsReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const rows = modules.map((m) => ({ file: m.relativeModuleId, project: m.project.name, ms: m.diagnostic().duration })).sort((a, b) => b.ms - a.ms);
    if (rows.length === 0) return;
    const total = rows.reduce((sum, r) => sum + r.ms, 0);
    const lines = rows.map((r) => `${(r.ms / 1000).toFixed(1).padStart(8)} s  ${r.project.padEnd(4)}  ${r.file}`);
    process.stdout.write(`\nTest files by time (tests and hooks; ${(total / 1000).toFixed(1)} s in all, files run in parallel):\n${lines.join('\n')}\n`);
  }
}
