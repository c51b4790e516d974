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
