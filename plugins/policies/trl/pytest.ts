import { spawnSync } from 'node:child_process';
import { packagePath } from '../../../framework/plugin.js';
import { findPython, PYTHON_PACKAGE_DIR, PythonEnvironmentError } from './environment.js';

/**
 * `npm run test:python`: the Python package's checks, run by the Python the trl backend would run (its
 * environment from `twentyq setup python`, or TWENTYQ_PYTHON): ruff's lint, mypy's types (both
 * configured in its pyproject.toml), then its tests (pytest, with any arguments given). Exits with the
 * first failure's code.
 */
try {
  const python = findPython();
  const env = { ...process.env, PYTHONPATH: [PYTHON_PACKAGE_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'), HF_HUB_OFFLINE: '1' };
  const steps: [string, string[], string][] = [
    ['ruff', ['-m', 'ruff', 'check', '.'], PYTHON_PACKAGE_DIR],
    ['mypy', ['-m', 'mypy'], PYTHON_PACKAGE_DIR],
    ['pytest', ['-m', 'pytest', '-q', packagePath('plugins', 'policies', 'trl', 'python', 'tests'), ...process.argv.slice(2)], packagePath()],
  ];
  for (const [name, args, cwd] of steps) {
    process.stderr.write(`test:python: ${name}\n`);
    const r = spawnSync(python, args, { stdio: 'inherit', env, cwd });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
} catch (error) {
  if (!(error instanceof PythonEnvironmentError)) throw error;
  process.stderr.write(error.message + '\n');
  process.exit(1);
}
