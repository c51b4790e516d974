import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Domain } from '../../framework/game/domain.js';
import { playGames } from '../../framework/game/engine.js';
import { optimalTree } from '../../framework/game/tree.js';
import type { WrongGuessRule } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { deriveSeed } from '../../framework/util/rng.js';
import { loadTable } from '../../plugins/domains/table/index.js';
import { exhaustive } from './exhaustive.js';

// The suite of generated tables that `npm run bench:tree` proves (bench/tables, from bench/tables/generate.ts).
const DIR = 'bench/tables';
const suite = readdirSync(DIR)
  .filter((f) => f.endsWith('.csv'))
  .sort()
  .map((f) => ({ name: f, domain: loadTable(join(DIR, f)) }));

/** The first rows and columns of a table: small enough for the exhaustive search, with the table's kind of cells. */
function corner(domain: Domain, rows: number, columns: number): Domain {
  const A = domain.attributes.length;
  const truth = new Uint8Array(rows * columns);
  for (let c = 0; c < rows; c++) for (let a = 0; a < columns; a++) truth[c * columns + a] = domain.truth![c * A + a]!;
  return new Domain({ name: `${domain.name}-corner`, candidates: domain.candidates.slice(0, rows), attributes: domain.attributes.slice(0, columns), truth });
}

describe('the suite of generated tables', () => {
  it('holds at least 30 tables of 20-150 candidates and 10-100 questions, some with twins, some with unknown cells', () => {
    expect(suite.length).toBeGreaterThanOrEqual(30);
    for (const { domain } of suite) {
      expect(domain.size).toBeGreaterThanOrEqual(20);
      expect(domain.size).toBeLessThanOrEqual(150);
      expect(domain.attributes.length).toBeGreaterThanOrEqual(10);
      expect(domain.attributes.length).toBeLessThanOrEqual(100);
    }
    expect(suite.filter(({ name }) => name.startsWith('shared-')).length).toBeGreaterThanOrEqual(5);
    expect(suite.filter(({ name }) => name.startsWith('unknown-')).length).toBeGreaterThanOrEqual(5);
  });

  it('the search agrees with exhaustive search on a corner of every table, both rules and semantics', () => {
    for (const { name, domain } of suite) {
      const small = corner(domain, 8, 5);
      const targets = small.candidates.map((_, c) => c);
      for (const rule of ['continue', 'lose'] as const) {
        for (const semantics of ['say', 'coin'] as const) {
          const b = optimalTree(small, { rule, semantics });
          expect(b.proved).toBe(true);
          expect(b.mean * 8, `${name} ${rule} ${semantics}`).toBeCloseTo(exhaustive(small, rule, semantics, targets), 9);
        }
      }
    }
  });

  it('optimal plays the exhaustive optimum on a corner of every table, both rules', async () => {
    process.env.TWENTYQ_TREES = mkdtempSync(join(tmpdir(), 'twentyq-trees-'));
    for (const { name, domain } of suite) {
      const small = corner(domain, 8, 5);
      for (const wrong_guess of ['continue', 'lose'] as WrongGuessRule[]) {
        const rules = { max_questions: 20, wrong_guess };
        const factory = new PluginFactory(small, rules, process.cwd());
        const specs = small.candidates.map((c, game) => ({ game, seed: deriveSeed(4, name, game), target: c.id }));
        const games = await playGames(specs, { domain: small, rules, policy: await factory.create('policy', 'optimal'), answerer: await factory.create('answerer', 'kb'), policyLabel: 'optimal' });
        const total = games.reduce((s, g) => s + (g.outcome === 'win' ? g.questions : rules.max_questions), 0);
        expect(total, `${name} ${wrong_guess}`).toBeCloseTo(
          exhaustive(
            small,
            wrong_guess,
            'say',
            small.candidates.map((_, c) => c),
          ),
          9,
        );
      }
    }
  });

  it('optimal plays its proved bound on every table and never more questions than infogain, both rules', async () => {
    process.env.TWENTYQ_TREES = mkdtempSync(join(tmpdir(), 'twentyq-trees-'));
    for (const { name, domain } of suite) {
      for (const wrong_guess of ['continue', 'lose'] as WrongGuessRule[]) {
        const rules = { max_questions: 20, wrong_guess };
        const factory = new PluginFactory(domain, rules, process.cwd());
        const answerer = await factory.create('answerer', 'kb');
        const specs = domain.candidates.map((c, game) => ({ game, seed: deriveSeed(3, name, game), target: c.id }));
        // Under lose, twins (rows that share every answer) cannot all be won: a wrong guess among them
        // ends the game, which counts all its questions; the tree wins the first and counts the others so.
        const twins = name.startsWith('shared-') || name === 'unknown-140x80.csv';
        const mean = async (policy: string) => {
          const games = await playGames(specs, { domain, rules, policy: await factory.create('policy', policy), answerer, policyLabel: policy });
          if (wrong_guess === 'continue' || !twins)
            expect(
              games.every((g) => g.outcome === 'win'),
              `${name} ${wrong_guess} ${policy}`,
            ).toBe(true);
          return games.reduce((s, g) => s + (g.outcome === 'win' ? g.questions : rules.max_questions), 0) / games.length;
        };
        const optimal = await mean('optimal');
        const bound = optimalTree(domain, { rule: wrong_guess, semantics: 'say' });
        expect(bound.proved, `${name} ${wrong_guess}`).toBe(true);
        expect(optimal, `${name} ${wrong_guess}`).toBeCloseTo(bound.mean, 9);
        expect(optimal, `${name} ${wrong_guess}`).toBeLessThanOrEqual((await mean('infogain')) + 1e-9);
      }
    }
  });
});
