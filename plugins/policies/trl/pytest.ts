import { spawnSync } from 'node:child_process';
import { packagePath } from '../../../framework/plugin.js';
import { findPython, PYTHON_PACKAGE_DIR, PythonEnvironmentError } from './environment.js';

/**
 * `npm run test:python`: the Python package's tests (pytest), run by the Python the trl backend would
 * run (its environment from `twentyq setup python`, or TWENTYQ_PYTHON). Exits with pytest's code.
 */
try {
  const python = findPython();
  const tests = packagePath('plugins', 'policies', 'trl', 'python', 'tests');
  const env = { ...process.env, PYTHONPATH: [PYTHON_PACKAGE_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'), HF_HUB_OFFLINE: '1' };
  const r = spawnSync(python, ['-m', 'pytest', '-q', tests, ...process.argv.slice(2)], { stdio: 'inherit', env, cwd: packagePath() });
  process.exit(r.status ?? 1);
} catch (error) {
  if (!(error instanceof PythonEnvironmentError)) throw error;
  process.stderr.write(error.message + '\n');
  process.exit(1);
}
