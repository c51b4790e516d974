import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../framework/config/errors.js';
import { parseExperiment } from '../../framework/config/load.js';
import { endpointPreflight } from '../../framework/llm/preflight.js';

const file = 'test/fixtures/preflight.yaml';
const shown = file;

/** The problems of an experiment with preflight, one line each; none when it passes. */
async function problems(yaml: string): Promise<string[]> {
  try {
    await parseExperiment(yaml, file, { preflight: true });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
}

describe('preflight: what a run needs of the machine, before it starts', () => {
  it('asks each plugin named, and each a wrapper holds, placing a problem at the option it names, in file order', async () => {
    const yaml = [
      'name: needy',
      'answerer: { use: ./plugins/needy-answerer.js, label: needy, with: { needs: [a GPU] } }',
      'stages:',
      '  - evaluate:',
      '      games: 1',
      '      answerer:',
      '        use: noisy',
      '        with:',
      '          p: 0.1',
      '          answerer: { use: ./plugins/needy-answerer.js, label: inner, with: { needs: [vllm, a key] } }',
      '  - evaluate: { games: 1, answerer: { use: ./plugins/needy-answerer.js, label: blind, with: { broken: true } } }',
      '',
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      `${shown}:2:76: answerer.with.needs: needy (test/fixtures/plugins/needy-answerer.js): needs: a GPU is missing here: install a GPU`,
      `${shown}:10:86: stages[0].evaluate.answerer.with.answerer.with.needs: inner (test/fixtures/plugins/needy-answerer.js): needs: vllm is missing here: install vllm`,
      `${shown}:10:86: stages[0].evaluate.answerer.with.answerer.with.needs: inner (test/fixtures/plugins/needy-answerer.js): needs: a key is missing here: install a key`,
      `${shown}:11:37: stages[1].evaluate.answerer: blind (test/fixtures/plugins/needy-answerer.js): its preflight check failed: cannot look`,
    ]);
    // without preflight the same file is valid: validation says nothing of the machine
    await expect(parseExperiment(yaml, file)).resolves.toMatchObject({ name: 'needy' });
  });

  it('comes in one report with the problems of validation', async () => {
    const lines = await problems('name: both\nanswerer: { use: ./plugins/needy-answerer.js, with: { needs: [x] } }\nstages:\n  - evaluate: { games: 0 }\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('needs: x is missing here');
    expect(lines[1]).toMatch(/^test\/fixtures\/preflight\.yaml:4:\d+: stages\[0\]\.evaluate\.games: /);
  });

  it('an endpoint needs the key api_key_env names, unless it takes none, and the command it launches', () => {
    const key = 'TWENTYQ_TEST_PREFLIGHT_KEY';
    expect(endpointPreflight({ base_url: 'https://example.test/v1', api_key_env: key }, {})).toEqual([
      `api_key_env: the environment variable ${key} is not set: export ${key}=<your key> for https://example.test/v1 (or name another variable with api_key_env; api_key_env: null for a local server that takes no key)`,
    ]);
    expect(endpointPreflight({ base_url: 'https://example.test/v1', api_key_env: key }, { [key]: 'sk-1' })).toEqual([]);
    expect(endpointPreflight({ base_url: 'https://example.test/v1', api_key_env: null }, {})).toEqual([]);
    // launched commands: this installation's twentyq, a program on the PATH or an executable file; not a missing one
    const bin = mkdtempSync(join(tmpdir(), 'twentyq-preflight-'));
    const server = join(bin, 'my-server');
    writeFileSync(server, '#!/bin/sh\n');
    chmodSync(server, 0o755);
    for (const launch of ['twentyq serve --port {PORT}', ['node', '--version'], `VLLM_X=1 ${server} --port {PORT}`, { command: [server], timeout_s: 5 }]) {
      expect(endpointPreflight({ api_key_env: null, launch }), JSON.stringify(launch)).toEqual([]);
    }
    expect(endpointPreflight({ api_key_env: null, launch: 'no-such-server-twentyq serve {PORT}' })).toEqual(['launch: no-such-server-twentyq is not on the PATH: install it, or name it by its path in launch.command']);
    expect(endpointPreflight({ api_key_env: null, launch: [join(bin, 'missing'), 'serve'] })).toEqual([`launch: ${join(bin, 'missing')} is not an executable file: install it, or name it by its path in launch.command`]);
  });
});
