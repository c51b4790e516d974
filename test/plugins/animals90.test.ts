import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { NO, UNKNOWN, YES } from '../../framework/game/domain.js';
import { ANIMALS90_FILE } from '../../plugins/domains/animals90/index.js';
import { loadTable } from '../../plugins/domains/table/index.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const A = domain.attributes.length;
const raw = parse(readFileSync(ANIMALS90_FILE, 'utf8')) as { candidates: { id: string; class: string }[] };

describe('animals90', () => {
  it('has 90 animals over mammals, birds, reptiles, amphibians, fish, insects and other invertebrates', () => {
    expect(domain.size).toBe(90);
    const classes = new Map<string, number>();
    for (const a of raw.candidates) classes.set(a.class, (classes.get(a.class) ?? 0) + 1);
    for (const c of ['mammal', 'bird', 'reptile', 'amphibian', 'fish', 'insect']) expect(classes.get(c), c).toBeGreaterThanOrEqual(3);
    const invertebrates = raw.candidates.filter((a) => !['mammal', 'bird', 'reptile', 'amphibian', 'fish', 'insect'].includes(a.class));
    expect(invertebrates.length).toBeGreaterThanOrEqual(5);
  });

  it('has at least 45 attributes over every group, each with a question and at least 3 paraphrases', () => {
    expect(A).toBeGreaterThanOrEqual(45);
    const groups = new Set(domain.attributes.map((a) => a.group));
    for (const g of ['class', 'habitat', 'size', 'covering', 'diet', 'behaviour', 'appearance', 'people']) expect(groups).toContain(g);
    for (const a of domain.attributes) {
      expect(a.question, a.id).toMatch(/\?$/);
      expect(a.paraphrases.length, a.id).toBeGreaterThanOrEqual(3);
    }
  });

  it('tells every pair of animals apart by at least one decided attribute', () => {
    const same: string[] = [];
    for (let i = 0; i < domain.size; i++) {
      for (let j = i + 1; j < domain.size; j++) {
        let differ = false;
        for (let a = 0; a < A && !differ; a++) {
          const x = domain.truth![i * A + a]!;
          const y = domain.truth![j * A + a]!;
          differ = x !== UNKNOWN && y !== UNKNOWN && x !== y;
        }
        if (!differ) same.push(`${domain.candidates[i]!.id}/${domain.candidates[j]!.id}`);
      }
    }
    expect(same).toEqual([]);
  });

  it('keeps unknowns rare and every attribute informative', () => {
    const cells = domain.truth!;
    const unknown = cells.filter((v) => v === UNKNOWN).length;
    expect(unknown / cells.length).toBeLessThan(0.1);
    for (let a = 0; a < A; a++) {
      let yes = 0;
      let no = 0;
      for (let c = 0; c < domain.size; c++) {
        if (cells[c * A + a] === YES) yes++;
        if (cells[c * A + a] === NO) no++;
      }
      expect(yes, domain.attributes[a]!.id).toBeGreaterThan(0);
      expect(no, domain.attributes[a]!.id).toBeGreaterThan(0);
    }
  });

  it('states facts a child would agree with', () => {
    const fact = (animal: string, attribute: string) => domain.fact(domain.candidateIndexOf(animal)!, domain.attributeIndexOf(attribute)!);
    expect(fact('dog', 'mammal')).toBe('yes');
    expect(fact('penguin', 'flies')).toBe('no');
    expect(fact('penguin', 'bird')).toBe('yes');
    expect(fact('whale', 'fish')).toBe('no');
    expect(fact('bat', 'flies')).toBe('yes');
    expect(fact('spider', 'insect')).toBe('no');
    expect(fact('zebra', 'stripes')).toBe('yes');
    expect(fact('orca', 'black_white')).toBe('yes');
    expect(fact('snake', 'no_legs')).toBe('yes');
    expect(fact('elephant', 'bigger_than_car')).toBe('yes');
    expect(fact('bee', 'products')).toBe('yes');
  });

  it('finds animals by name or alias, ignoring case, articles and plurals', () => {
    expect(domain.findCandidate('Killer Whale')?.id).toBe('orca');
    expect(domain.findCandidate('an orca')?.id).toBe('orca');
    expect(domain.findCandidate('the giraffes')?.id).toBe('giraffe');
    expect(domain.findCandidate('mice')?.id).toBe('mouse');
    expect(domain.findCandidate('Wolves')?.id).toBe('wolf');
    expect(domain.findCandidate('butterflies')?.id).toBe('butterfly');
    expect(domain.findCandidate('foxes')?.id).toBe('fox');
    expect(domain.findCandidate('polar bear')?.id).toBe('polar_bear');
    expect(domain.findCandidate('unicorn')).toBeUndefined();
  });

  it('rejects a table that names an attribute it does not have', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(ANIMALS90_FILE, 'utf8').replace('yes: [mammal, vertebrate, africa, australia, americas, bigger_than_cat, fur,', 'yes: [mammal, vertebrate, africa, australia, americas, bigger_than_cat, furr,'));
    expect(() => loadTable(file)).toThrow(/bad\.yaml:\d+:\d+: dog: no question "furr" \(listed under yes\)/);
  });

  it('rejects a table that breaks its schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'attributes:\n  - { id: big, question: Is it big?, paraphrases: [Is it large?] }\nanimals: []\n');
    expect(() => loadTable(file)).toThrow(/bad\.yaml:1:1: the file: missing required field "candidates"[\s\S]*bad\.yaml:3:1: the file: unknown field "animals"/);
  });
});
