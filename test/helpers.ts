import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Domain, NO, UNKNOWN, YES } from '../framework/game/domain.js';
import { ANIMALS90_FILE } from '../plugins/domains/animals90/index.js';
import { loadTable } from '../plugins/domains/table/index.js';

let animals: Domain | undefined;

/** The real animals90 domain, loaded once per test file. */
export function animals90(): Domain {
  return (animals ??= loadTable(ANIMALS90_FILE));
}

/**
 * A small domain worked by hand: four animals, three attributes.
 *           big  stripes  water
 *   zebra    y     y        n
 *   horse    y     n        n
 *   fish     n     n        y
 *   bee      n     y        ?
 */
export function tinyDomain(): Domain {
  const rows: Record<string, number[]> = {
    zebra: [YES, YES, NO],
    horse: [YES, NO, NO],
    fish: [NO, NO, YES],
    bee: [NO, YES, UNKNOWN],
  };
  const ids = Object.keys(rows);
  return new Domain({
    name: 'tiny',
    candidates: ids.map((id) => ({ id, name: id, aliases: id === 'fish' ? ['trout'] : [] })),
    attributes: [
      { id: 'big', question: 'Is it big?', paraphrases: ['Is it large?', 'Is it huge?', 'Is it a big animal?'] },
      { id: 'stripes', question: 'Does it have stripes?', paraphrases: ['Is it striped?', 'Has it got stripes?', 'Stripy?'] },
      { id: 'water', question: 'Does it live in water?', paraphrases: ['Is it aquatic?', 'Does it swim?', 'Does it live underwater?'] },
    ],
    truth: new Uint8Array(ids.flatMap((id) => rows[id]!)),
  });
}

/** The first n animals of animals90 with every attribute: a domain small enough to train on in a test. */
export function smallAnimals(n: number): Domain {
  const full = animals90();
  const A = full.attributes.length;
  return new Domain({
    name: `animals${n}`,
    noun: 'animal',
    candidates: full.candidates.slice(0, n),
    attributes: full.attributes,
    truth: full.truth!.slice(0, n * A),
  });
}

/** Whether a process is still running (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The built CLI. */
export const BIN = resolve('bin/run.js');

/** The environment CLI tests run the binary in: production mode, no colour. */
export const CLI_ENV: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

/** Runs the built CLI to the end: its exit code and output. */
export function cli(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: options.env ?? CLI_ENV, encoding: 'utf8', timeout: options.timeout ?? 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The records of a JSONL file (a curve, a stage's games). */
export function jsonLines(file: string): Record<string, any>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** The one run directory of experiment `name` under `out` (a run writes `<out>/<name>/<timestamp>/`). */
export function runDirOf(out: string, name: string): string {
  return join(out, name, readdirSync(join(out, name))[0]!);
}
