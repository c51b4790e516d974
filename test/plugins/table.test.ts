import { describe, expect, it } from 'vitest';
import { UNKNOWN, YES } from '../../framework/game/domain.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { DEFAULT_RULES } from '../../framework/game/types.js';
import { loadTable } from '../../plugins/domains/table/index.js';
import { animals90 } from '../helpers.js';

const FRUIT = 'test/fixtures/fruit';

describe('the table domain', () => {
  it('reads a CSV table: the noun from the first header, aliases, paraphrases, unknown cells', () => {
    const d = loadTable(`${FRUIT}/fruit.csv`);
    expect([d.name, d.noun, d.plural, d.aNoun, d.size, d.attributes.length]).toEqual(['fruit', 'fruit', 'fruits', 'a fruit', 5, 4]);
    expect(d.attributes[0]).toEqual({ id: 'is_it_red', question: 'Is it red?', paraphrases: ['Is its skin red?'] });
    expect(d.findCandidate('strawberries')?.id).toBe('strawberry');
    expect(d.truth![d.candidateIndexOf('banana')! * 4 + d.attributeIndexOf('does_it_grow_on_trees')!]).toBe(UNKNOWN);
    expect(d.truth![d.candidateIndexOf('apple')! * 4]).toBe(YES);
  });

  it('reads the same table as YAML, in the format of animals90.yaml', () => {
    const csv = loadTable(`${FRUIT}/fruit.csv`);
    const yaml = loadTable(`${FRUIT}/fruit-table.yaml`);
    expect(yaml.candidates.map((c) => c.name)).toEqual(csv.candidates.map((c) => c.name));
    expect([...yaml.truth!]).toEqual([...csv.truth!]);
    expect([yaml.name, yaml.noun]).toEqual(['fruit', 'fruit']);
  });

  it('takes its name and noun from the options over the file', async () => {
    const factory = await PluginFactory.forDomain({ use: 'table', with: { file: `${FRUIT}/fruit.csv`, name: 'bowl', noun: 'berry' } }, DEFAULT_RULES, process.cwd());
    expect([factory.domain.name, factory.domain.noun, factory.domain.plural, factory.domain.aNoun]).toEqual(['bowl', 'berry', 'berries', 'a berry']);
  });

  it('animals90 is a table like any other, and stays the default', async () => {
    const d = animals90();
    expect([d.name, d.noun, d.plural, d.aNoun, d.size, d.attributes.length]).toEqual(['animals90', 'animal', 'animals', 'an animal', 90, 71]);
    const factory = await PluginFactory.forDomain('animals90', DEFAULT_RULES, process.cwd());
    expect([...factory.domain.truth!]).toEqual([...d.truth!]);
  });

  it('gives each malformed table an error at its file:line:col', () => {
    const cases: [string, RegExp][] = [
      ['bad-cell.csv', /bad-cell\.csv:3:3: "sour" for "Is it sweet\?": a cell is yes, no or unknown/],
      ['bad-names.csv', /bad-names\.csv:3:1: duplicate candidate "apple" \(first at line 2\)/],
      ['bad-question.csv', /bad-question\.csv:1:3: column 3 has no question/],
      ['bad.yaml', /bad\.yaml:7:26: lemon: no question "sour" \(listed under yes\)/],
      ['bad-question.yaml', /bad-question\.yaml:4:5: a question with no text/],
      ['fruit.yaml', /fruit\.yaml:\d+:\d+: (the file: missing required field|.*unknown field)/],
      ['missing.txt', /missing\.txt:1:1: a table is a \.csv, \.yaml or \.yml file, not "\.txt"/],
    ];
    for (const [file, message] of cases) expect(() => loadTable(`${FRUIT}/${file}`), file).toThrow(message);
    expect(() => loadTable(`${FRUIT}/none.csv`)).toThrow('no such table file');
  });
});
