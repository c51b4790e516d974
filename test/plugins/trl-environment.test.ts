import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirementsFile, venvProblem } from '../../plugins/policies/trl/environment.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A folder shaped like an environment `twentyq setup python` made, with the stamp given. */
function venv(stamp?: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'twentyq-venv-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'python'), '');
  if (stamp) writeFileSync(join(dir, 'twentyq-requirements.json'), JSON.stringify(stamp));
  return dir;
}

describe('the Python environment is up to date', () => {
  it("when its stamp has the hash of this installation's requirements, whichever checkout made it (gone since)", () => {
    const cpu = requirementsFile(false);
    expect(venvProblem(venv({ requirements: '/gone/checkout/plugins/policies/trl/requirements-cpu.txt', sha256: sha(cpu) }))).toBeUndefined();
    expect(venvProblem(venv({ requirements: cpu, sha256: sha(cpu) }))).toBeUndefined();
  });

  it('not when the requirements changed, the stamp names the other set, or setup never finished', () => {
    const cpu = requirementsFile(false);
    expect(venvProblem(venv({ requirements: cpu, sha256: '0'.repeat(64) }))).toMatch(/is outdated: .*requirements-cpu\.txt changed since it was set up/);
    // a GPU environment is checked against the GPU set, which the CPU set's hash does not match
    expect(venvProblem(venv({ requirements: '/elsewhere/requirements-gpu.txt', sha256: sha(cpu) }))).toMatch(/requirements-gpu\.txt changed/);
    expect(venvProblem(venv())).toMatch(/was not completed by twentyq setup python/);
    expect(venvProblem(join(tmpdir(), 'no-such-venv'))).toMatch(/there is no Python environment/);
  });
});
