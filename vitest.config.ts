import { defineConfig } from 'vitest/config';

// End-to-end tests run whole experiments: the built CLI in child processes (test/cli), games over real
// HTTP (test/llm/serve), a report in Chromium (test/report/browser), launched servers (test/llm/launch, vllm), or the runner with its worker pool in-process. Everything else is a fast unit
// test, which starts no process and no worker pool (test/unit-set.test.ts holds it to that). `npm test` runs both projects; `npm run test:unit` only the fast one.
export const E2E = [
  'test/cli/**/*.test.ts',
  'test/llm/serve.test.ts',
  'test/llm/serve-limits.test.ts',
  'test/llm/api.test.ts',
  'test/llm/faults.test.ts',
  'test/llm/vllm-policy.test.ts',
  'test/llm/launch.test.ts',
  'test/llm/vllm.test.ts',
  'test/llm/cache.test.ts',
  'test/llm/overhead.test.ts',
  'test/plugins/user-plugin.test.ts',
  'test/run/resume.test.ts',
  'test/run/runner.test.ts',
  'test/run/evaluate.test.ts',
  'test/run/train.test.ts',
  'test/run/stop.test.ts',
  'test/run/contracts.test.ts',
  'test/run/environment.test.ts',
  'test/run/lock.test.ts',
  'test/run/rerun.test.ts',
  'test/run/waiting.test.ts',
  'test/report/browser.test.ts',
  'test/report/embeddings.test.ts',
  'test/run/environment-load.test.ts',
  'test/util/processes.test.ts',
  'test/report/recorded.test.ts',
  'test/run/regret-stage.test.ts',
  'test/run/servers.test.ts',
  'test/run/concurrent.test.ts',
  'test/config/trl-plans.test.ts',
  'test/plugins/trl-gpu-set.test.ts',
];

export default defineConfig({
  test: {
    // CLI tests spawn the real binary and experiments play thousands of games: allow for a slow CI box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    disableConsoleIntercept: true,
    // each file's time, slowest first, after the run: the file that sets the suite's pace is known
    reporters: ['default', './test/timings-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
